"""My trainings: the trainee's orders and enrolments, cancelling within the policy, and
transferring to another date of the same training."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from catalog.formatting import PACIFIC
from certificates.models import Certificate, Evaluation
from certificates.services.issuing import certificate_issue
from registration.models import Enrolment, Refund

from .flows import (
    element,
    error_summary,
    fill,
    paid_order,
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

    order = paid_order(trainee, session_of("module-1", 6))
    enrolment = Enrolment.objects.get(order_line__order=order)

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/enrolments/{enrolment.pk}/cancel/")

    refund = Refund.objects.get(order=order)
    assert (refund.amount_cents, refund.status) == (32500, "due")


def test_transferring_to_another_date_with_a_free_seat_is_done_at_once(
    signed_in, trainee, paid_by_card, mailoutbox, django_capture_on_commit_callbacks
):
    june, october = session_of("module-1", 6), session_of("module-1", 10)
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    assert "Mon, Oct 18, 2027 · 9:00 AM – 5:00 PM PT · 40 seats left" in text(
        signed_in.get(f"/enrolments/{enrolment.pk}/transfer/")
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            f"/enrolments/{enrolment.pk}/transfer/", {"session": october.pk}, follow=True
        )

    assert "You are now registered for Mon, Oct 18, 2027" in text(response)
    transferred = Enrolment.objects.get(trainee=trainee, status="confirmed")
    assert (transferred.session, transferred.credit_type.code) == (october, "apa")
    enrolment.refresh_from_db()
    assert enrolment.status == "transferred"
    assert seats_left_shown(signed_in, june) == "40 of 40"
    assert seats_left_shown(signed_in, october) == "39 of 40"
    (email,) = mailoutbox
    assert "Your new date for Module 1" in email.subject
    (calendar,) = [Calendar.from_ical(content) for _n, content, _m in email.attachments]
    assert [event.decoded("dtstart") for event in calendar.walk("VEVENT")] == [october.starts_at]


def test_transferring_to_a_full_date_is_refused(
    signed_in, trainee, paid_by_card, mailoutbox, django_capture_on_commit_callbacks
):
    october = session_of("module-1", 10)
    fill(october)
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/enrolments/{enrolment.pk}/transfer/", {"session": october.pk})

    assert response.status_code == 400
    assert "That date is full." in text(element(response, "id_session_error"))
    assert "That date is full." in error_summary(response)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.session) == ("confirmed", session_of("module-1", 6))
    assert not mailoutbox


def test_a_session_that_has_started_can_no_longer_be_transferred(
    signed_in, trainee, paid_by_card, before_season, django_capture_on_commit_callbacks
):
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    before_season.move_to(enrolment.session.starts_at + timedelta(hours=9))
    signed_in.force_login(trainee)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            f"/enrolments/{enrolment.pk}/transfer/", {"session": session_of("module-1", 10).pk}
        )

    assert response.status_code == 400
    assert "This session has already started" in error_summary(response)
    enrolment.refresh_from_db()
    assert enrolment.status == "confirmed"


# --------------------------------------------------------------------------------------
# Upcoming and Past, each training with where it stands
# --------------------------------------------------------------------------------------


def training(client, enrolment) -> str:
    return text(element(client.get("/my/"), f"training-{enrolment.pk}"))


def section(client, section_id: str) -> str:
    html = client.get("/my/").content.decode()
    start = html.index(f'aria-labelledby="{section_id}"')
    return text(html[start : html.index("</section>", start)])


def test_my_trainings_splits_upcoming_from_past_with_their_states(
    client, trainee, before_season, django_capture_on_commit_callbacks, settings
):
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600
    june, july = session_of("module-1", 6), session_of("module-2", 7)
    august = session_of("module-7", 8)
    order = paid_order(trainee, june, july, august)
    enrolments = {e.session_id: e for e in Enrolment.objects.filter(order_line__order=order)}
    client.force_login(trainee)

    upcoming = section(client, "upcoming")
    assert upcoming.index("Mon, Jun 21, 2027") < upcoming.index("Fri, Aug 20, 2027")
    assert "Past" not in text(client.get("/my/")).split("Orders and receipts")[0]
    assert "Confirmed Change date" in training(client, enrolments[june.pk])

    before_season.move_to(datetime(2027, 8, 1, 12, 0, tzinfo=PACIFIC))
    june_enrolment, july_enrolment = enrolments[june.pk], enrolments[july.pk]
    Enrolment.objects.filter(pk=june_enrolment.pk).update(attendance="attended")
    Enrolment.objects.filter(pk=july_enrolment.pk).update(attendance="partial")
    Evaluation.objects.create(
        enrolment=june_enrolment,
        requested_at=timezone.now(),
        submitted_at=timezone.now(),
        overall_rating=5,
    )
    certificate_issue(
        enrolment=Enrolment.objects.get(pk=june_enrolment.pk),
        kind=Certificate.Kind.ATTENDANCE,
        now=timezone.now(),
    )

    past = section(client, "past")
    assert past.index("Module 2") < past.index("Module 1")  # the latest first
    june_row = training(client, june_enrolment)
    assert "Attended Certificate ready" in june_row
    assert "Certificate of Attendance (PDF)" in june_row
    assert "Evaluation due" not in june_row and "Change date" not in june_row
    july_row = training(client, july_enrolment)
    assert "Partial attendance Evaluation due Attendance recorded as partial" in july_row
    assert "Evaluate this course" in july_row
    assert "Confirmed" not in june_row + july_row
    upcoming = section(client, "upcoming")
    assert "Module 7" in upcoming and "Module 1" not in upcoming


def test_an_unmarked_past_session_asks_for_the_evaluation(client, trainee, before_season, settings):
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600
    order = paid_order(trainee, session_of("module-1", 6))
    enrolment = Enrolment.objects.get(order_line__order=order)
    before_season.move_to(datetime(2027, 6, 22, 9, 0, tzinfo=PACIFIC))
    client.force_login(trainee)

    assert "Attendance not recorded yet Evaluation due" in training(client, enrolment)
