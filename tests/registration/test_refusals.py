"""What the rules refuse in the cart: the reason beside the item, and no order placed."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Offering, Session
from registration.models import CartItem, Order, PrerequisiteWaiver
from tests.factories import EnrolmentFactory

from .flows import (
    add_to_cart,
    cart_item,
    cart_page,
    element,
    fill,
    paid_order,
    place_order,
    session_of,
    text,
)

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

MODULE_1_FIRST = "Module 1 is required before Module 3"


def item_text(client, trainee, session) -> str:
    return text(element(cart_page(client), f"item-{cart_item(trainee, session).pk}"))


def assert_refused(client, trainee, session, reason: str, capture) -> None:
    """The reason shows next to the item, there is no order button, and ordering fails."""
    section = item_text(client, trainee, session)
    assert "Cannot register:" in section and reason in section
    assert "Place order" not in text(cart_page(client))
    response = place_order(client, capture, "offline")
    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert not Order.objects.filter(trainee=trainee).exists()
    assert cart_item(trainee, session)  # the cart is kept as it was


def assert_add_refused(client, trainee, session, reason: str) -> None:
    """Adding is refused at once: the reason at the top of the page, in the error style,
    and nothing in the cart."""
    response = client.post("/cart/add/", {"session": session.pk}, follow=True)
    alert = re.search(
        r'class="alert alert-danger[^"]*" role="alert">(.*?)</div>', response.content.decode()
    )
    assert alert and reason in text(alert[1])
    assert "is in your cart" not in text(response)
    assert not CartItem.objects.filter(trainee=trainee).exists()


def assert_orderable(client, trainee, capture) -> Order:
    assert "Cannot register" not in text(cart_page(client))
    response = place_order(client, capture, "offline")
    assert response.status_code == 302, text(cart_page(client))
    return Order.objects.get(trainee=trainee)


def test_module3_refused_without_module1(signed_in, trainee, django_capture_on_commit_callbacks):
    module_3 = session_of("module-3", 8)
    add_to_cart(signed_in, module_3)

    assert_refused(signed_in, trainee, module_3, MODULE_1_FIRST, django_capture_on_commit_callbacks)


def test_module3_allowed_with_module1_in_the_same_cart_ending_before(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    add_to_cart(signed_in, session_of("module-1", 6))
    add_to_cart(signed_in, session_of("module-3", 8))

    order = assert_orderable(signed_in, trainee, django_capture_on_commit_callbacks)
    assert order.lines.count() == 2


def test_module3_refused_with_module1_in_the_cart_ending_after_it(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    module_3 = session_of("module-3", 5)  # May 8, before Module 1 on Jun 21
    add_to_cart(signed_in, session_of("module-1", 6))
    add_to_cart(signed_in, module_3)

    assert_refused(signed_in, trainee, module_3, MODULE_1_FIRST, django_capture_on_commit_callbacks)


def test_module3_allowed_with_a_staff_waiver(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    PrerequisiteWaiver.objects.create(
        trainee=trainee,
        offering=Offering.objects.get(slug="module-1"),
        reason="Completed the equivalent course elsewhere.",
    )
    add_to_cart(signed_in, session_of("module-3", 8))

    assert_orderable(signed_in, trainee, django_capture_on_commit_callbacks)


def test_module3_allowed_after_an_earlier_paid_module1(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    paid_order(trainee, session_of("module-1", 6))
    add_to_cart(signed_in, session_of("module-3", 8))

    assert "Cannot register" not in text(cart_page(signed_in))
    place_order(signed_in, django_capture_on_commit_callbacks, "offline")
    assert Order.objects.filter(trainee=trainee).count() == 2


def test_module3_allowed_after_an_attended_module1(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    past = Session.objects.create(
        offering=Offering.objects.get(slug="module-1"),
        starts_at=timezone.now() - timedelta(days=300),
        ends_at=timezone.now() - timedelta(days=300) + timedelta(hours=8),
        capacity=40,
    )
    EnrolmentFactory(session=past, trainee=trainee, attendance="attended")
    add_to_cart(signed_in, session_of("module-3", 8))

    assert_orderable(signed_in, trainee, django_capture_on_commit_callbacks)


def test_module3_refused_while_module1_is_only_held_in_an_unpaid_order(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    add_to_cart(signed_in, session_of("module-1", 6))
    place_order(signed_in, django_capture_on_commit_callbacks, "offline")
    module_3 = session_of("module-3", 8)
    add_to_cart(signed_in, module_3)

    assert MODULE_1_FIRST in item_text(signed_in, trainee, module_3)


def test_rainfall_medical_module_refused_for_an_lmft(
    client, make_trainee, django_capture_on_commit_callbacks
):
    lmft = make_trainee(profession="lmft")
    client.force_login(lmft)
    rainfall = session_of("rainfall-medical-module", 6)
    add_to_cart(client, rainfall)

    assert_refused(
        client,
        lmft,
        rainfall,
        "Rainfall Medical Module is for prescribers and other medical providers",
        django_capture_on_commit_callbacks,
    )
    assert "your license (LMFT) is not among them" in item_text(client, lmft, rainfall)


def test_rainfall_medical_module_allowed_for_a_nurse_practitioner(
    client, make_trainee, django_capture_on_commit_callbacks
):
    nurse_practitioner = make_trainee(profession="np")
    client.force_login(nurse_practitioner)
    add_to_cart(client, session_of("rainfall-medical-module", 6))

    assert_orderable(client, nurse_practitioner, django_capture_on_commit_callbacks)


def dated_session(slug: str) -> Session:
    """A date published for an offering whose seed dates are to be announced."""
    session = Session.objects.get(offering__slug=slug)
    session.status = Session.Status.SCHEDULED
    session.starts_at = timezone.now() + timedelta(days=120)
    session.ends_at = session.starts_at + timedelta(days=2)
    session.save()
    return session


def test_experiential_workshop_refused_without_an_approved_intake(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    workshop = dated_session("experiential-workshop")
    add_to_cart(signed_in, workshop)

    assert_refused(
        signed_in,
        trainee,
        workshop,
        "needs an approved medical and psychological intake before you can register",
        django_capture_on_commit_callbacks,
    )


def test_practicum_refused_without_an_invitation(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    practicum = dated_session("practicum")
    add_to_cart(signed_in, practicum)

    assert_refused(
        signed_in, trainee, practicum, "is by invitation only", django_capture_on_commit_callbacks
    )


def test_full_session_refused_with_the_waitlist_offered(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    add_to_cart(signed_in, module_1)
    fill(module_1)

    assert_refused(
        signed_in,
        trainee,
        module_1,
        "This Module 1 session is full. You can join its waitlist.",
        django_capture_on_commit_callbacks,
    )
    section = element(cart_page(signed_in), f"item-{cart_item(trainee, module_1).pk}")
    assert f'action="/sessions/{module_1.pk}/waitlist/"' in section
    assert "Join waitlist" in text(section)


def test_cancelled_session_refused(signed_in, trainee, django_capture_on_commit_callbacks):
    module_1 = session_of("module-1", 6)
    add_to_cart(signed_in, module_1)
    Session.objects.filter(pk=module_1.pk).update(status=Session.Status.CANCELLED)

    assert_refused(
        signed_in,
        trainee,
        module_1,
        "This Module 1 session has been cancelled. Please choose another date.",
        django_capture_on_commit_callbacks,
    )


def test_session_in_the_past_refused(
    signed_in, trainee, before_season, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    add_to_cart(signed_in, module_1)

    before_season.move_to(module_1.starts_at + timedelta(hours=1))
    signed_in.force_login(trainee)  # the sign-in of January has long expired

    assert_refused(
        signed_in,
        trainee,
        module_1,
        "This Module 1 session has already started, so registration is closed.",
        django_capture_on_commit_callbacks,
    )


def test_session_refused_before_its_registration_opens(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    module_1.registration_opens_at = timezone.now() + timedelta(days=10)
    module_1.save()

    assert_add_refused(
        signed_in,
        trainee,
        module_1,
        "Registration for this Module 1 session opens on Mon, Jan 25, 2027.",
    )


def test_session_refused_after_its_registration_closed(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    module_1.registration_closes_at = timezone.now() - timedelta(days=1)
    module_1.save()

    assert_add_refused(
        signed_in,
        trainee,
        module_1,
        "Registration for this Module 1 session closed on Thu, Jan 14, 2027.",
    )


def test_offering_refused_when_already_enrolled_in_another_date(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    paid_order(trainee, session_of("module-1", 6))
    october = session_of("module-1", 10)
    add_to_cart(signed_in, october)

    assert "Cannot register: You are already registered for Module 1" in item_text(
        signed_in, trainee, october
    )
    place_order(signed_in, django_capture_on_commit_callbacks, "offline")
    assert Order.objects.filter(trainee=trainee).count() == 1


def test_two_overlapping_sessions_refused(signed_in, trainee, django_capture_on_commit_callbacks):
    module_1 = session_of("module-1", 6)
    clashing = Session.objects.create(
        offering=Offering.objects.get(slug="music-module"),
        starts_at=module_1.starts_at + timedelta(hours=4),
        ends_at=module_1.ends_at + timedelta(hours=1),
        capacity=30,
    )
    add_to_cart(signed_in, module_1)
    add_to_cart(signed_in, clashing)

    assert_refused(
        signed_in,
        trainee,
        clashing,
        "This session overlaps your Module 1 session (Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT)",
        django_capture_on_commit_callbacks,
    )


def test_a_session_that_filled_while_ordering_is_named_even_once_a_seat_is_back(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    add_to_cart(signed_in, module_1)
    fill(module_1)  # the last seat went while the trainee looked at the cart

    response = place_order(signed_in, django_capture_on_commit_callbacks, "offline")
    module_1.capacity += 1  # and someone cancelled before the cart came back
    module_1.save(update_fields=["capacity"])

    page = text(signed_in.get(response["Location"]))
    assert (
        "Some items in your cart cannot be registered yet: "
        "This Module 1 session is full. You can join its waitlist."
    ) in page
    assert "Cannot register:" not in page and "Place order" in page
    assert not Order.objects.filter(trainee=trainee).exists()


def test_module_out_of_sequence_is_only_a_warning(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    module_4 = session_of("module-4", 10)
    add_to_cart(signed_in, session_of("module-1", 6))
    add_to_cart(signed_in, module_4)

    assert "Module 4 builds on Module 3; taking the modules in sequence is recommended" in (
        item_text(signed_in, trainee, module_4)
    )
    order = assert_orderable(signed_in, trainee, django_capture_on_commit_callbacks)
    assert order.lines.count() == 2


def test_refused_order_shows_the_reason_after_pressing_place_order(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    add_to_cart(signed_in, session_of("module-3", 8))

    response = place_order(signed_in, django_capture_on_commit_callbacks, "offline")

    page = text(signed_in.get(response["Location"]))
    assert "Some items in your cart cannot be registered yet: " in page
    assert MODULE_1_FIRST in page
