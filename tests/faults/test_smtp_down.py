"""The mail server down while the coordinator emails a roster of 20: each trainee's message
waits in the outbox, is retried with backoff, and all 20 arrive, once each, when the mail
server is back (a real Celery worker, Redis, PostgreSQL and an SMTP server)."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone

from registration.tasks import outbox_sweep
from tests.admin_pages import rows_of, shown_messages
from tests.processes import DEADLINE_SECONDS, free_port, wait_for
from tests.registration.flows import session_of
from tests.roster import email_the_roster, enrol, trainee
from tests.smtp import RecordingHandler
from tests.worker import Worker, worker_idle

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]

TRAINEES = 20


def test_a_roster_message_sent_while_smtp_is_down_reaches_all_20_trainees_once_it_is_back(
    app_on_private_redis, private_redis, worker_env, coordinator, tmp_path
):
    session = session_of("module-1", 6)
    entries = [enrol(session, trainee(f"Trainee {n:02d} Okafor")) for n in range(TRAINEES)]
    mail_port = free_port()  # nothing listens there yet: the mail server is down
    mail_server = RecordingHandler()
    worker = Worker(
        queue="celery",
        env={**worker_env, "EMAIL_URL": f"smtp://127.0.0.1:{mail_port}"},
        log=tmp_path / "worker.log",
    )
    controller = Controller(mail_server, hostname="127.0.0.1", port=mail_port)
    try:
        response = email_the_roster(
            coordinator,
            session,
            entries,
            subject="Room change for Monday",
            message="We meet in the Cedar room, second floor.",
        )
        assert response.status_code == 200
        assert shown_messages(response) == [f"Message queued for {TRAINEES} trainees."]

        wait_for(lambda: worker_idle(worker, private_redis.url), "the worker to try them", worker)
        assert "Connection refused" in worker.output()
        assert not mail_server.messages

        controller.start()  # the mail server is back
        # The beat's next sweep once the first retry is due (a minute after the failure).
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            assert outbox_sweep() == TRAINEES
        assert mail_server.wait_messages(TRAINEES, DEADLINE_SECONDS), worker.output()
        wait_for(lambda: worker_idle(worker, private_redis.url), "the retries to run", worker)
        with time_machine.travel(timezone.now() + timedelta(minutes=30)):
            assert outbox_sweep() == 0  # nothing left to send
    finally:
        worker.stop()
        if controller._thread is not None:
            controller.stop()

    assert len(mail_server.messages) == TRAINEES
    received = [
        email.message_from_bytes(raw, policy=email.policy.default) for raw in mail_server.messages
    ]
    assert sorted(message["To"] for message in received) == sorted(
        entry.trainee.email for entry in entries
    )  # each trainee once: no duplicates
    for message in received:
        assert message["Subject"] == "Room change for Monday"
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert body.startswith("Hello Trainee ") and "Okafor," in body
        assert "We meet in the Cedar room, second floor." in body
    # Admin → Outbox: each sent on its second attempt, after the first one's error.
    rows = rows_of(coordinator.get(reverse("admin:registration_outboundemail_changelist")))
    assert len(rows) == TRAINEES
    assert all(re.search(r"Roster message trainee\d+@example.com Sent 2 ", row) for row in rows)
