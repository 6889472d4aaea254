"""Beat runs on one host only; started on two by mistake, every periodic task runs twice at
the same moment against PostgreSQL, and each piece of work is still done once: an unpaid
order expires once (one seat freed, one waitlist offer), a participant is asked for their
evaluation once and reminded once, an interest list is told of a new date once, and every
email goes once."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.models import LogEntry
from catalog.models import Session
from certificates.models import Evaluation
from registration.models import (
    Enrolment,
    InterestNotification,
    InterestSignup,
    Order,
    OutboundEmail,
    WaitlistEntry,
)
from registration.services.cart import cart_add
from registration.services.orders import order_place
from tests.factories import EnrolmentFactory, SessionFactory

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]

ORDERS = 4
ATTENDEES = 4
SIGNUPS = 4
REMINDED = 3


def twice_at_once(task) -> list:
    """The task run by two beats' workers at the same moment; both results."""
    start = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            start.wait()
            results.append(task())
        except BaseException as error:  # reported below, with the task's name
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), f"{task.name} still running"
    assert errors == [], f"{task.name}: {errors!r}"
    return results


def test_every_periodic_task_run_twice_at_once_does_its_work_once(
    postgres, make_trainee, before_season, mailoutbox
):
    now = timezone.now()
    # Unpaid orders for the last seats of a session, a trainee waiting for one.
    june = Session.objects.get(offering__slug="module-1", starts_at__month=6)
    june.capacity = ORDERS
    june.save(update_fields=["capacity"])
    for _ in range(ORDERS):
        trainee = make_trainee()
        cart_add(trainee=trainee, session=june, now=now)
        order_place(trainee=trainee, payment_method=Order.Method.STRIPE, now=now)
    waiting = WaitlistEntry.objects.create(trainee=make_trainee(), session=june)
    # Participants of a session that ended yesterday.
    ended = SessionFactory(starts_at=now - timedelta(days=1, hours=8))
    EnrolmentFactory.create_batch(
        ATTENDEES, session=ended, status="confirmed", attendance=Enrolment.Attendance.ATTENDED
    )
    # Participants of a session a week ago, asked then, who have not answered yet.
    week_ago = SessionFactory(starts_at=now - timedelta(days=7, hours=8))
    for enrolment in EnrolmentFactory.create_batch(
        REMINDED, session=week_ago, status="confirmed", attendance=Enrolment.Attendance.ATTENDED
    ):
        Evaluation.objects.create(enrolment=enrolment, requested_at=now - timedelta(days=7))
    # An interest list for an offering whose dates were just published.
    residential = Session.objects.filter(starts_at__gt=now).first().offering
    for n in range(SIGNUPS):
        InterestSignup.objects.create(
            offering=residential,
            name=f"Subscriber {n}",
            email=f"subscriber{n}@example.com",
            created_at=now,
            confirmed_at=now,
        )
    before_season.move_to(Order.objects.latest("expires_at").expires_at + timedelta(minutes=1))
    mailoutbox.clear()

    done = {}
    for name in sorted({entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}):
        done[name] = sum(twice_at_once(import_string(name)))

    expired = Order.objects.filter(status=Order.Status.EXPIRED)
    assert expired.count() == ORDERS
    assert LogEntry.objects.filter(action="registration.order.expired").count() == ORDERS
    waiting.refresh_from_db()
    assert waiting.status == WaitlistEntry.Status.OFFERED
    assert WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED).count() == 1
    assert Evaluation.objects.filter(enrolment__session=ended).count() == ATTENDEES
    upcoming = Session.objects.filter(
        offering=residential, status=Session.Status.SCHEDULED, starts_at__gt=timezone.now()
    ).count()
    assert InterestNotification.objects.count() == SIGNUPS * upcoming
    assert done["registration.tasks.holds_expire"] == ORDERS
    assert done["certificates.tasks.evaluation_requests_send"] == ATTENDEES
    assert done["registration.tasks.interest_notify"] == SIGNUPS * upcoming
    assert done["certificates.tasks.evaluation_reminders_send"] == REMINDED
    assert set(
        Evaluation.objects.filter(enrolment__session=week_ago).values_list(
            "reminders_sent", flat=True
        )
    ) == {1}

    sent = Counter((message.to[0], message.subject, message.body) for message in mailoutbox)
    assert sent and max(sent.values()) == 1, sent.most_common(3)
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
    assert len(mailoutbox) == OutboundEmail.objects.count()
