"""Bad input is refused in plain words and changes nothing; another trainee's things are 404."""

import pytest

from catalog.models import Offering
from registration.models import CartItem, Enrolment, Order, WaitlistEntry
from tests.factories import UserFactory
from tests.registration.flows import bundle_choice

from .flows import (
    add_to_cart,
    assert_ce_refused,
    cart_item,
    choose_ce,
    element,
    error_summary,
    fill,
    paid_order,
    place_order,
    session_of,
    text,
)

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


def test_tampered_price_and_quantity_fields_are_ignored(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    signed_in.post(
        "/cart/add/", {"session": module_1.pk, "quantity": "5", "price": "1", "tuition_cents": "0"}
    )

    place_order(
        signed_in,
        django_capture_on_commit_callbacks,
        "offline",
        total_cents="100",
        price="1",
        quantity="5",
        amount="1",
    )

    order = Order.objects.get(trainee=trainee)
    assert order.total_cents == 35000
    assert [(line.tuition_cents, line.admin_fee_cents) for line in order.lines.all()] == [
        (32500, 2500)
    ]
    assert Enrolment.objects.filter(trainee=trainee).count() == 1


def test_unknown_payment_method_is_refused(signed_in, trainee, django_capture_on_commit_callbacks):
    add_to_cart(signed_in, session_of("module-1", 6))

    response = place_order(signed_in, django_capture_on_commit_callbacks, "complimentary")

    assert response["Location"] == "/cart/"
    assert "Choose how you will pay." in text(signed_in.get("/cart/"))
    assert not Order.objects.exists()


def test_another_offerings_session_in_the_bundle_form_is_an_error_next_to_the_field(
    signed_in, trainee
):
    choice = bundle_choice()
    module_7 = Offering.objects.get(slug="module-7")
    choice[f"offering_{module_7.pk}"] = session_of("module-1", 6).pk

    response = signed_in.post("/programs/full-training/choose/", choice)

    assert response.status_code == 400
    field = text(element(response, f"id_offering_{module_7.pk}"))
    assert "Select a valid choice" in field
    summary = error_summary(response)
    assert "There is a problem" in summary and "Select a valid choice" in summary
    assert not CartItem.objects.filter(trainee=trainee).exists()


def test_a_bundle_missing_a_module_is_an_error_next_to_the_field(signed_in, trainee):
    choice = bundle_choice()
    module_7 = Offering.objects.get(slug="module-7")
    del choice[f"offering_{module_7.pk}"]

    response = signed_in.post("/programs/full-training/choose/", choice)

    assert response.status_code == 400
    assert "Choose a date for Module 7." in text(element(response, f"id_offering_{module_7.pk}"))
    assert "Choose a date for Module 7." in error_summary(response)
    assert not CartItem.objects.filter(trainee=trainee).exists()


def test_a_ce_code_that_does_not_exist_is_refused(signed_in, trainee):
    add_to_cart(signed_in, session_of("module-1", 6))
    item = cart_item(trainee, session_of("module-1", 6))

    response = choose_ce(signed_in, item, "free-ce")

    assert_ce_refused(response, item, "That CE option does not exist.")


def test_ce_for_a_training_without_ce_is_refused(client, make_trainee):
    nurse = make_trainee(profession="rn")
    client.force_login(nurse)
    rainfall = session_of("rainfall-medical-module", 6)
    add_to_cart(client, rainfall)
    item = cart_item(nurse, rainfall)

    response = choose_ce(client, item, "brn")

    assert_ce_refused(response, item, "Rainfall Medical Module carries no California BRN CE.")


@pytest.fixture
def someone_elses(make_trainee, django_capture_on_commit_callbacks):
    """Another trainee's paid order, its enrolment, a waitlist entry and a cart item."""
    other = make_trainee()
    order = paid_order(other, session_of("module-1", 6))
    full = session_of("music-module", 7)
    fill(full)
    entry = WaitlistEntry.objects.create(session=full, trainee=other)
    CartItem.objects.create(
        trainee=other,
        session=session_of("module-7", 8),
        offering=session_of("module-7", 8).offering,
    )
    return {
        "order": order,
        "enrolment": Enrolment.objects.get(trainee=other),
        "entry": entry,
        "item": CartItem.objects.get(trainee=other),
    }


def test_another_trainees_order_enrolment_and_waitlist_are_not_found(signed_in, someone_elses):
    order = someone_elses["order"]
    enrolment = someone_elses["enrolment"]
    entry = someone_elses["entry"]
    item = someone_elses["item"]

    for method, url in [
        ("get", f"/orders/{order.code}/"),
        ("post", f"/orders/{order.code}/pay/"),
        ("post", f"/orders/{order.code}/cancel/"),
        ("post", f"/orders/{order.code}/cart/"),
        ("get", f"/enrolments/{enrolment.pk}/cancel/"),
        ("post", f"/enrolments/{enrolment.pk}/cancel/"),
        ("get", f"/enrolments/{enrolment.pk}/transfer/"),
        ("post", f"/enrolments/{enrolment.pk}/transfer/"),
        ("post", f"/waitlist/{entry.pk}/leave/"),
        ("post", f"/waitlist/{entry.pk}/accept/"),
        ("post", f"/cart/items/{item.pk}/ce/"),
    ]:
        assert getattr(signed_in, method)(url).status_code == 404, url

    signed_in.post(f"/cart/items/{item.pk}/remove/")
    assert CartItem.objects.filter(pk=item.pk).exists()
    order.refresh_from_db()
    enrolment.refresh_from_db()
    entry.refresh_from_db()
    assert (order.status, enrolment.status, entry.status) == ("paid", "confirmed", "waiting")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for method, url in [
        ("get", "/cart/"),
        ("get", "/my/"),
        ("get", "/account/profile/"),
        ("get", "/programs/full-training/choose/"),
        ("post", "/cart/add/"),
        ("post", "/cart/checkout/"),
        ("get", "/orders/PT-ABCDEFGH/"),
        ("get", "/checkout/success/?session_id=cs_test_1"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


@pytest.mark.parametrize("value", ["abc", "", "1.5", "9" * 30, "-1"])
def test_a_malformed_session_id_is_a_bad_request_not_a_server_error(signed_in, value):
    response = signed_in.post("/cart/add/", {"session": value})

    assert response.status_code in (400, 404)
    assert not CartItem.objects.exists()


def test_a_non_numeric_session_id_is_a_bad_request(signed_in):
    assert signed_in.post("/cart/add/", {"session": "abc"}).status_code == 400


def test_an_unknown_session_is_not_found(signed_in):
    assert signed_in.post("/cart/add/", {"session": "999999"}).status_code == 404


def test_a_malformed_date_in_the_transfer_form_is_an_error_next_to_the_field(signed_in, trainee):
    paid_order(trainee, session_of("module-1", 6))
    enrolment = Enrolment.objects.get(trainee=trainee)

    response = signed_in.post(f"/enrolments/{enrolment.pk}/transfer/", {"session": "abc"})

    assert response.status_code == 400
    assert "Select a valid choice" in text(element(response, "id_session_error"))
    assert "Select a valid choice" in error_summary(response)
    enrolment.refresh_from_db()
    assert enrolment.status == "confirmed"


def test_profile_errors_show_next_to_the_field_and_in_the_summary(client, make_trainee):
    trainee = UserFactory()
    client.force_login(trainee)

    response = client.post(
        "/account/profile/",
        {"legal_name": "", "profession": "lmft", "license_number": "LMFT 1", "license_state": ""},
    )

    assert response.status_code == 400
    summary = error_summary(response)
    assert "Choose the state that issued your license." in summary
    assert "This field is required." in summary
    assert "Choose the state that issued your license." in text(
        element(response, "div_id_license_state")
    )


def test_a_session_of_an_unpublished_training_cannot_be_added(signed_in, trainee):
    module_1 = session_of("module-1", 6)
    Offering.objects.filter(pk=module_1.offering_id).update(is_published=False)

    signed_in.post("/cart/add/", {"session": module_1.pk})

    assert not CartItem.objects.filter(trainee=trainee).exists()
