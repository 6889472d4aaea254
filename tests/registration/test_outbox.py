"""The outbox: one row per email (its key de-duplicated by the database), one retry policy
(1, 2, 4, 8, then every 15 minutes, for about a day), the beat's sweep for due and lost
emails, and Admin → Outbox, where staff see every email and retry failed or stuck ones."""

import re
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from registration.models import Order, OutboundEmail
from registration.services.emails import MAX_ATTEMPTS, email_queue, emails_requeue
from registration.tasks import outbox_sweep
from tests.admin_pages import rows_of, shown_messages
from tests.factories import OrderFactory, StaffFactory, login_staff
from tests.processes import free_port
from tests.roster import enrol, roster_url, trainee
from tests.smtp import RefusingMailbox, use_smtp

from .flows import session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

OUTBOX = "admin:registration_outboundemail_changelist"


def confirmation(order: Order) -> OutboundEmail:
    return email_queue(
        kind="order_confirmation",
        to=order.trainee.email,
        key=f"order_confirmation:{order.pk}",
        order=order,
    )


@pytest.fixture
def order(make_trainee) -> Order:
    trainee = make_trainee(first_name="Ines", last_name="Halvorsen")
    return OrderFactory(trainee=trainee, payment_method="offline")


def test_an_email_whose_key_is_recorded_already_is_neither_recorded_nor_sent_again(
    order, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = confirmation(order)
    with django_capture_on_commit_callbacks(execute=True):
        second = confirmation(order)

    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
    assert len(mailoutbox) == 1
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("sent", 1)


def test_a_failed_attempt_is_retried_after_1_2_4_8_then_every_15_minutes_for_about_a_day(
    order, settings, mailoutbox, before_season, django_capture_on_commit_callbacks
):
    use_smtp(settings, free_port())  # the mail server is down all along
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        email = confirmation(order)
    waits = []
    for _attempt in range(MAX_ATTEMPTS - 1):
        email.refresh_from_db()
        assert email.status == "pending" and "Connection refused" in email.last_error
        waits.append(email.next_attempt_at - timezone.now())
        before_season.move_to(email.next_attempt_at - timedelta(seconds=1))
        assert outbox_sweep() == 0  # not before it is due
        before_season.move_to(email.next_attempt_at)
        assert outbox_sweep() == 1

    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", MAX_ATTEMPTS)
    assert [wait.total_seconds() / 60 for wait in waits[:6]] == [1, 2, 4, 8, 15, 15]
    assert timedelta(hours=23) < timezone.now() - started < timedelta(hours=25)
    assert outbox_sweep() == 0  # a failed email waits for a person
    assert not mailoutbox


def test_the_sweep_queues_what_is_due_and_what_was_lost_and_nothing_else(
    order, make_trainee, mailoutbox, before_season, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # queued; the tasks are lost
        lost = confirmation(order)
    other = OrderFactory(trainee=make_trainee(), payment_method="offline")
    before_season.shift(timedelta(seconds=django_settings.OUTBOX_STUCK_SECONDS - 1))
    with django_capture_on_commit_callbacks(execute=False):
        fresh = confirmation(other)  # on its way, not lost yet
    assert emails_requeue(now=timezone.now()) == 0

    before_season.shift(timedelta(seconds=2))
    assert emails_requeue(now=timezone.now()) == 1

    assert [m.to for m in mailoutbox] == [[order.trainee.email]]
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, fresh.status) == ("sent", "pending")


def test_a_recipient_the_mail_server_refuses_fails_at_once_and_is_shown_as_failed(
    order, settings, coordinator, django_capture_on_commit_callbacks
):

    controller = Controller(RefusingMailbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        use_smtp(settings, controller.port)
        with django_capture_on_commit_callbacks(execute=True):
            email = confirmation(order)
    finally:
        controller.stop()

    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 1)
    page = text(coordinator.get(reverse(OUTBOX) + "?attention=failed"))
    assert "Order confirmation" in page and order.trainee.email in page
    assert "Failed" in page and "550 5.1.1 No such user here" in page


def test_staff_see_every_email_with_its_state_attempts_and_last_error(
    order, coordinator, before_season, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        confirmation(order)
    with django_capture_on_commit_callbacks(execute=False):
        email_queue(kind="enrolment_cancelled", to="ana@example.com", key="k-stuck")
        waiting = email_queue(kind="waitlist_offer", to="bo@example.com", key="k-waiting")
    OutboundEmail.objects.filter(pk=waiting.pk).update(
        queued_at=None,
        attempts=2,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        next_attempt_at=timezone.now() + timedelta(minutes=6),
    )
    before_season.shift(timedelta(minutes=5))

    response = coordinator.get(reverse(OUTBOX))

    assert response.status_code == 200
    rows = {
        recipient: row
        for row in rows_of(response)
        for recipient in (order.trainee.email, "ana@example.com", "bo@example.com")
        if recipient in row
    }
    assert "Order confirmation" in rows[order.trainee.email]
    assert "Sent" in rows[order.trainee.email]
    assert "Stuck: queued Jan 15, 10:00 AM" in rows["ana@example.com"]
    assert "Waiting to retry at Jan 15, 10:06 AM" in rows["bo@example.com"]
    assert "Connection unexpectedly closed" in rows["bo@example.com"]
    stuck_only = text(coordinator.get(reverse(OUTBOX) + "?attention=stuck"))
    assert "ana@example.com" in stuck_only and "bo@example.com" not in stuck_only


def test_a_coordinator_sees_the_outbox_and_other_staff_do_not(client, coordinator):
    assert coordinator.get(reverse(OUTBOX)).status_code == 200
    login_staff(client, StaffFactory())
    assert client.get(reverse(OUTBOX)).status_code == 403


def test_retry_sends_failed_and_stuck_emails_and_leaves_sent_ones_alone(
    order, coordinator, mailoutbox, before_season, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = confirmation(order)
    with django_capture_on_commit_callbacks(execute=False):  # their tasks are lost
        stuck = email_queue(kind="order_confirmation", to="ana@example.com", key="k1", order=order)
        failed = email_queue(kind="order_confirmation", to="bo@example.com", key="k2", order=order)
    OutboundEmail.objects.filter(pk=failed.pk).update(status="failed", last_error="550 refused")
    before_season.shift(timedelta(minutes=10))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(
            reverse(OUTBOX),
            {"action": "retry", ACTION_CHECKBOX_NAME: [sent.pk, stuck.pk, failed.pk]},
            follow=True,
        )

    assert shown_messages(response) == [
        "2 emails queued again. 1 was sent already (or is no longer needed), so was left alone."
    ]
    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.com", "bo@example.com"]
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_the_roster_form_sent_twice_sends_the_message_once(
    coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    session = session_of("module-1", 6)
    entries = [enrol(session, trainee(name)) for name in ("Ada Abara", "Ben Bell")]
    form = coordinator.post(
        roster_url(session),
        {"action": "email_roster", "index": 0, ACTION_CHECKBOX_NAME: [e.pk for e in entries]},
    )
    token = re.search(r'name="token" value="([0-9a-f]{32})"', form.content.decode())[1]
    data = {
        "action": "email_roster",
        ACTION_CHECKBOX_NAME: [e.pk for e in entries],
        "subject": "Parking",
        "message": "Use the lot on 5th Street.",
        "token": token,
        "send": "Send",
    }

    for _ in range(2):  # a double click, or a retried request
        with django_capture_on_commit_callbacks(execute=True):
            response = coordinator.post(roster_url(session), data, follow=True)
        assert shown_messages(response) == ["Message queued for 2 trainees."]

    assert sorted(m.to[0] for m in mailoutbox) == sorted(e.trainee.email for e in entries)
    assert all(m.subject == "Parking" for m in mailoutbox)


def test_the_sweep_runs_every_minute_on_beat():
    schedule = django_settings.CELERY_BEAT_SCHEDULE["outbox-sweep"]
    assert schedule == {"task": "registration.tasks.outbox_sweep", "schedule": 60.0}


def test_a_second_sweep_right_after_the_first_queues_nothing_again(
    order, before_season, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        confirmation(order)
    before_season.shift(timedelta(hours=1))

    assert [emails_requeue(now=timezone.now()) for _ in range(2)] == [1, 0]
    assert len(mailoutbox) == 1
