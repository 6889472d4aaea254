"""Redis (cache and Celery broker) stopped while a trainee orders and pays: every page still
works, the confirmation email waits in the outbox, and once Redis is back the outbox sweep
and a real Celery worker deliver it exactly once."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from registration.models import Enrolment, OutboundEmail
from registration.roles import COORDINATOR
from registration.tasks import outbox_sweep
from tests.factories import StaffFactory, login_staff
from tests.processes import wait_for
from tests.registration.flows import pay, register, seats_left_shown, session_of, text
from tests.roster import EVENING_AFTER, enrol, roster_url, trainee
from tests.worker import Worker

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]


def tasks_done(worker: Worker) -> int:
    """Email tasks the worker has finished, sent or found already sent (its whole log)."""
    log = worker.log.read_text(errors="replace")
    return len(re.findall(r"Task registration\.tasks\.email_send\[[^]]+\] succeeded", log))


def test_an_order_paid_while_redis_is_down_is_confirmed_by_one_email_once_it_is_back(
    app_on_private_redis,
    private_redis,
    worker_env,
    smtp_server,
    client,
    make_trainee,
    fake_stripe,
    before_season,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    trainee = make_trainee()
    client.force_login(trainee)
    module_1 = session_of("module-1", 6)
    private_redis.stop()

    order = register(client, django_capture_on_commit_callbacks, module_1)
    pay(client, fake_stripe, django_capture_on_commit_callbacks, order)

    assert order.status == "paid"
    assert "Paid" in text(client.get(order.get_absolute_url()))
    assert seats_left_shown(client, module_1) == "39 of 40"
    assert Enrolment.objects.get(order_line__order=order).status == "confirmed"
    confirmation = OutboundEmail.objects.get(order=order, kind="order_confirmation")
    assert confirmation.sent_at is None

    private_redis.start()
    before_season.move_to(timezone.now() + timedelta(minutes=2))
    # Two beat ticks before any worker runs, the second once the first task counts as lost:
    # the email is queued twice.
    assert outbox_sweep() == 1
    before_season.move_to(timezone.now() + timedelta(seconds=settings.OUTBOX_STUCK_SECONDS + 1))
    assert outbox_sweep() == 1
    worker = Worker(queue="celery", env=worker_env, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: tasks_done(worker) == 2, "both queued sends to run", worker)
    finally:
        worker.stop()

    assert len(smtp_server.messages) == 1
    message = email.message_from_bytes(smtp_server.messages[0], policy=email.policy.default)
    assert message["To"] == trainee.email
    assert f"Your registration is confirmed ({order.code})" in message["Subject"]
    confirmation.refresh_from_db()
    assert confirmation.sent_at is not None
    assert outbox_sweep() == 0


def test_certificates_issued_while_redis_is_down_are_delivered_once_it_is_back(
    app_on_private_redis, private_redis, worker_env, smtp_server, before_season, client, tmp_path
):

    session = session_of("module-1", 6)
    entries = [enrol(session, trainee(f"Trainee {n} Achterberg"), attendance="attended")
               for n in range(3)]  # fmt: skip
    coordinator = StaffFactory(roles=[COORDINATOR])
    before_season.move_to(EVENING_AFTER)
    login_staff(client, coordinator)
    private_redis.stop()

    response = client.post(
        roster_url(session),
        {"action": "issue_certificates", "index": 0, ACTION_CHECKBOX_NAME: [e.pk for e in entries]},
        follow=True,
    )

    assert response.status_code == 200
    page = text(response)
    assert "3 certificates queued." in page
    assert "0 of 3 rendered and emailed" in page and "Queued: 3" in page and "failed: 0" in page
    assert Certificate.objects.filter(delivery="queued").count() == 3

    private_redis.start()
    before_season.move_to(EVENING_AFTER + timedelta(minutes=1))
    assert outbox_sweep() == 3  # the beat's next tick
    worker = Worker(queue="celery", env=worker_env, log=tmp_path / "worker.log")
    try:
        wait_for(
            lambda: Certificate.objects.filter(delivery="emailed").count() == 3,
            "the certificates to be emailed",
            worker,
        )
    finally:
        worker.stop()

    assert sorted(
        email.message_from_bytes(raw, policy=email.policy.default)["To"]
        for raw in smtp_server.messages
    ) == sorted(entry.trainee.email for entry in entries)
    progress = reverse("admin:registration_rosterentry_certificates", args=[session.pk])
    assert "3 of 3 rendered and emailed" in text(client.get(progress))
