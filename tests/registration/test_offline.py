"""Paying by invoice or check: the only way when Stripe is not configured, marked paid by staff."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from catalog.models import SiteSettings
from registration.models import Enrolment, Order, Payment
from registration.services.exceptions import OrderStateError
from registration.services.orders import order_mark_paid_offline
from registration.tasks import holds_expire
from tests.factories import login_staff, second_factor_enrol

from .flows import add_to_cart, cart_page, place_order, register, seats_left_shown, session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


@pytest.fixture(autouse=True)
def _stripe_not_configured(settings):
    settings.STRIPE_SECRET_KEY = ""


def payment_choices(page: str) -> list[str]:
    return re.findall(r'name="payment_method" value="(\w+)"', page)


def test_without_stripe_the_only_choice_is_invoice_or_check(signed_in):
    add_to_cart(signed_in, session_of("module-1", 6))

    page = cart_page(signed_in)

    assert payment_choices(page) == ["offline"]
    assert "Invoice or check" in text(page)


def test_without_stripe_a_card_payment_is_refused(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    add_to_cart(signed_in, session_of("module-1", 6))

    response = place_order(signed_in, django_capture_on_commit_callbacks, "stripe")

    assert response["Location"] == "/cart/"
    assert not Order.objects.filter(trainee=trainee).exists()


def test_with_stripe_trainees_pay_by_card_and_staff_may_also_take_an_invoice(
    client, make_trainee, settings
):
    settings.STRIPE_SECRET_KEY = "sk_test_configured"
    trainee, coordinator = make_trainee(), make_trainee(is_staff=True)
    second_factor_enrol(coordinator)
    client.force_login(trainee)
    add_to_cart(client, session_of("module-1", 6))
    assert payment_choices(cart_page(client)) == ["stripe"]
    login_staff(client, coordinator)
    add_to_cart(client, session_of("module-1", 6))
    assert payment_choices(cart_page(client)) == ["stripe", "offline"]


def test_an_invoice_order_holds_the_seats_for_the_configured_days_and_emails_instructions(
    signed_in, trainee, mailoutbox, django_capture_on_commit_callbacks
):
    SiteSettings.objects.update(offline_hold_days=10)
    module_1 = session_of("module-1", 6)

    response = place_order_for(signed_in, django_capture_on_commit_callbacks, module_1)

    order = Order.objects.get(trainee=trainee)
    assert response["Location"] == f"/orders/{order.code}/"
    assert (order.status, order.payment_method) == ("pending", "offline")
    assert order.expires_at == timezone.now() + timedelta(days=10)
    assert Enrolment.objects.get(trainee=trainee).hold_expires_at == order.expires_at
    assert seats_left_shown(signed_in, module_1) == "39 of 40"
    page = text(signed_in.get(response["Location"]))
    assert "Your seats are held until Mon, Jan 25, 2027" in page
    assert "Please pay by invoice or check" in page
    (email,) = mailoutbox
    assert email.to == [trainee.email]
    assert order.code in email.subject and "invoice or check" in email.subject
    assert "We hold your seats until Monday, January 25, 2027" in email.body
    assert "payment of $350 by invoice or check" in email.body


def place_order_for(client, capture, *sessions):
    for session in sessions:
        add_to_cart(client, session)
    return place_order(client, capture, "offline")


def test_staff_marking_the_order_paid_confirms_it_and_emails_the_calendar_files(
    signed_in, trainee, mailoutbox, django_capture_on_commit_callbacks
):
    order = register(
        signed_in,
        django_capture_on_commit_callbacks,
        session_of("module-1", 6),
        session_of("module-7", 8),
        method="offline",
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid_offline(order=order, by=None, now=timezone.now(), note="Check no. 1042")

    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.get(order=order).amount_cents == 70000
    assert set(Enrolment.objects.filter(trainee=trainee).values_list("status", flat=True)) == {
        "confirmed"
    }
    (email,) = mailoutbox
    assert "Your registration is confirmed" in email.subject
    calendars = [Calendar.from_ical(content) for name, content, mime in email.attachments]
    assert len(calendars) == 2
    assert all(name.endswith(".ics") for name, _c, _m in email.attachments)


def test_marking_an_order_paid_twice_is_a_clear_error(
    signed_in, trainee, mailoutbox, django_capture_on_commit_callbacks
):
    order = register(
        signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6), method="offline"
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid_offline(order=order, by=None, now=timezone.now())
    sent = len(mailoutbox)

    with pytest.raises(OrderStateError, match=f"Order {order.code} is already paid."):
        order_mark_paid_offline(order=order, by=None, now=timezone.now())

    assert Payment.objects.filter(order=order).count() == 1
    assert len(mailoutbox) == sent


def test_an_invoice_order_not_paid_in_time_releases_its_seats(
    signed_in, trainee, before_season, django_capture_on_commit_callbacks
):

    module_1 = session_of("module-1", 6)
    order = register(signed_in, django_capture_on_commit_callbacks, module_1, method="offline")

    before_season.move_to(order.expires_at + timedelta(minutes=1))
    holds_expire.delay()

    order.refresh_from_db()
    assert order.status == "expired"
    signed_in.force_login(trainee)
    assert seats_left_shown(signed_in, module_1) == "40 of 40"
