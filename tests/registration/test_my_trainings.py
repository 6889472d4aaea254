"""My trainings: the trainee's orders and enrolments, cancelling within the policy, and
moving to another date of the same training."""

from datetime import timedelta

import pytest
from icalendar import Calendar

from registration.models import Enrolment, Refund

from .flows import (
    element,
    error_summary,
    fill,
    pay,
    register,
    seats_left_shown,
    session_of,
    text,
)

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


@pytest.fixture
def paid_by_card(signed_in, fake_stripe, django_capture_on_commit_callbacks, mailoutbox):
    """Module 1 in June with APA CE, paid by card: $325 + $25 + $79."""
    order = register(
        signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6), ce="apa"
    )
    pay(signed_in, fake_stripe, django_capture_on_commit_callbacks, order)
    mailoutbox.clear()
    return order


def test_my_trainings_lists_orders_enrolments_and_their_statuses(
    signed_in, paid_by_card, django_capture_on_commit_callbacks
):
    pending = register(signed_in, django_capture_on_commit_callbacks, session_of("module-7", 8))

    page = text(signed_in.get("/my/"))

    assert f"Order {paid_by_card.code} Paid" in page
    assert f"Order {pending.code} Awaiting payment" in page
    assert "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT · Confirmed · APA CE" in page
    assert "Fri, Aug 20, 2027 · 9:00 AM – 5:00 PM PT · Held, awaiting payment" in page
    assert "$429 · Card (Stripe)" in page


def test_my_trainings_links_each_order_to_its_receipt(signed_in, paid_by_card):
    receipt = text(signed_in.get(f"/orders/{paid_by_card.code}/"))

    assert "Receipt" in receipt
    assert "$325 $25 $79 $429" in receipt


def test_cancelling_before_the_deadline_refunds_tuition_and_ce_but_not_the_admin_fee(
    signed_in, paid_by_card, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    module_1 = enrolment.session
    assert "You will be refunded $404." in text(
        signed_in.get(f"/enrolments/{enrolment.pk}/cancel/")
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/enrolments/{enrolment.pk}/cancel/", follow=True)

    assert "is cancelled; $404 will be refunded." in text(response)
    (refund,) = fake_stripe.refunds.values()
    assert (refund["amount"], refund["payment_intent"]) == (
        40400,
        paid_by_card.stripe_payment_intent_id,
    )
    (request,) = [r for r in fake_stripe.requests if r.path == "/v1/refunds"]
    assert request.idempotency_key
    paid_by_card.refresh_from_db()
    assert paid_by_card.refunded_cents == 40400
    enrolment.refresh_from_db()
    assert enrolment.status == "cancelled"
    assert Refund.objects.get(order=paid_by_card).status == "succeeded"
    assert seats_left_shown(signed_in, module_1) == "40 of 40"
    page = text(signed_in.get("/my/"))
    assert "refunded $404" in page and "Cancelled" in page
    (email,) = mailoutbox
    assert "is cancelled" in email.subject
    assert "Refunded for this registration: $404." in email.body


def test_cancelling_twice_refunds_once(
    signed_in, paid_by_card, fake_stripe, django_capture_on_commit_callbacks
):
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/enrolments/{enrolment.pk}/cancel/")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/enrolments/{enrolment.pk}/cancel/", follow=True)

    assert "Only a confirmed registration can be cancelled." in text(response)
    assert len(fake_stripe.refunds) == 1


def test_cancelling_after_the_deadline_is_refused_with_the_policy(
    signed_in, trainee, paid_by_card, fake_stripe, before_season, django_capture_on_commit_callbacks
):
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    before_season.move_to(enrolment.session.starts_at - timedelta(days=10))
    signed_in.force_login(trainee)
    reason = "The cancellation deadline has passed: cancellations close 14 days before the session starts"
    assert reason in text(signed_in.get(f"/enrolments/{enrolment.pk}/cancel/"))

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/enrolments/{enrolment.pk}/cancel/", follow=True)

    assert reason in text(response)
    enrolment.refresh_from_db()
    assert enrolment.status == "confirmed"
    assert not fake_stripe.refunds


def test_a_refund_stripe_cannot_make_leaves_the_registration_in_place(
    signed_in, paid_by_card, fake_stripe, django_capture_on_commit_callbacks
):
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    fake_stripe.fail_next("POST", "/v1/refunds", status=500)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/enrolments/{enrolment.pk}/cancel/", follow=True)

    assert "Stripe could not make the refund" in text(response)
    enrolment.refresh_from_db()
    paid_by_card.refresh_from_db()
    assert (enrolment.status, paid_by_card.refunded_cents) == ("confirmed", 0)


def test_cancelling_an_invoice_paid_registration_records_the_refund_as_due(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    from .flows import paid_order

    order = paid_order(trainee, session_of("module-1", 6))
    enrolment = Enrolment.objects.get(order_line__order=order)

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/enrolments/{enrolment.pk}/cancel/")

    refund = Refund.objects.get(order=order)
    assert (refund.amount_cents, refund.status) == (32500, "due")


def test_moving_to_another_date_with_a_free_seat_is_done_at_once(
    signed_in, trainee, paid_by_card, mailoutbox, django_capture_on_commit_callbacks
):
    june, october = session_of("module-1", 6), session_of("module-1", 10)
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    assert "Mon, Oct 18, 2027 · 9:00 AM – 5:00 PM PT · 40 seats left" in text(
        signed_in.get(f"/enrolments/{enrolment.pk}/move/")
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            f"/enrolments/{enrolment.pk}/move/", {"session": october.pk}, follow=True
        )

    assert "You are now registered for Mon, Oct 18, 2027" in text(response)
    moved = Enrolment.objects.get(trainee=trainee, status="confirmed")
    assert (moved.session, moved.credit_type.code) == (october, "apa")
    enrolment.refresh_from_db()
    assert enrolment.status == "transferred"
    assert seats_left_shown(signed_in, june) == "40 of 40"
    assert seats_left_shown(signed_in, october) == "39 of 40"
    (email,) = mailoutbox
    assert "Your new date for Module 1" in email.subject
    (calendar,) = [Calendar.from_ical(content) for _n, content, _m in email.attachments]
    assert [event.decoded("dtstart") for event in calendar.walk("VEVENT")] == [october.starts_at]


def test_moving_to_a_full_date_is_refused(
    signed_in, trainee, paid_by_card, mailoutbox, django_capture_on_commit_callbacks
):
    october = session_of("module-1", 10)
    fill(october)
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/enrolments/{enrolment.pk}/move/", {"session": october.pk})

    assert response.status_code == 400
    assert "That date is full." in text(element(response, "id_session_error"))
    assert "That date is full." in error_summary(response)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.session) == ("confirmed", session_of("module-1", 6))
    assert not mailoutbox


def test_a_session_that_has_started_can_no_longer_be_moved(
    signed_in, trainee, paid_by_card, before_season, django_capture_on_commit_callbacks
):
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    before_season.move_to(enrolment.session.starts_at + timedelta(hours=9))
    signed_in.force_login(trainee)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            f"/enrolments/{enrolment.pk}/move/", {"session": session_of("module-1", 10).pk}
        )

    assert response.status_code == 400
    assert "This session has already started" in error_summary(response)
    enrolment.refresh_from_db()
    assert enrolment.status == "confirmed"
