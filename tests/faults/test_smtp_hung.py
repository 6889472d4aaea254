"""The mail server hung (it takes the connection and never answers) while the coordinator
emails a roster: each attempt gives up after EMAIL_TIMEOUT and is recorded in the outbox,
the worker goes on to the next message instead of waiting forever, and once a mail server
answers on that address every message arrives, once each, after the sweep queues it again
(a real Celery worker, Redis, PostgreSQL and an SMTP server).

The worker runs with a short EMAIL_TIMEOUT (the setting is read from the environment; 15
seconds by default), and the test's deadline for the hung attempts allows for it."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone

from registration.models import OutboundEmail
from registration.tasks import outbox_sweep
from tests.admin_pages import rows_of, shown_messages
from tests.processes import DEADLINE_SECONDS, hung_server, wait_for
from tests.registration.flows import session_of
from tests.roster import email_the_roster, enrol, trainee
from tests.smtp import RecordingHandler
from tests.worker import Worker, worker_idle

# Seconds the worker waits for the hung server, each attempt (the site's default is 15).
EMAIL_TIMEOUT = 3

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]

# Two: the second is tried only if the worker came back from the first.
TRAINEES = 2
TIMED_OUT = "SMTPServerDisconnected: Connection unexpectedly closed: timed out"


def tried_once() -> int:
    return OutboundEmail.objects.filter(kind="roster_message", attempts=1).count()


def test_a_roster_message_sent_while_smtp_hangs_is_tried_in_time_and_arrives_once_it_answers(
    app_on_private_redis, private_redis, worker_env, coordinator, tmp_path
):
    session = session_of("module-1", 6)
    entries = [enrol(session, trainee(f"Trainee {n:02d} Okafor")) for n in range(TRAINEES)]
    mail_server = RecordingHandler()
    worker = controller = None
    try:
        with hung_server() as mail_port:
            worker = Worker(
                queue="celery",
                env={
                    **worker_env,
                    "EMAIL_URL": f"smtp://127.0.0.1:{mail_port}",
                    "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
                },
                log=tmp_path / "worker.log",
            )
            response = email_the_roster(
                coordinator,
                session,
                entries,
                subject="Room change for Monday",
                message="We meet in the Cedar room, second floor.",
            )
            assert response.status_code == 200
            assert shown_messages(response) == [f"Message queued for {TRAINEES} trainees."]

            # Each attempt in turn waits EMAIL_TIMEOUT for the server's greeting, then fails.
            wait_for(
                lambda: tried_once() == TRAINEES,
                "each email's attempt to time out",
                worker,
                timeout=TRAINEES * EMAIL_TIMEOUT + DEADLINE_SECONDS,
            )
            wait_for(lambda: worker_idle(worker, private_redis.url), "the worker", worker)
            logged = "not sent: SMTPServerDisconnected('Connection unexpectedly closed: timed out')"
            assert worker.output().count(logged) == TRAINEES

            # Admin → Outbox: each waits for its retry, after the first attempt's error.
            rows = rows_of(coordinator.get(reverse("admin:registration_outboundemail_changelist")))
            assert len(rows) == TRAINEES
            assert all(
                re.search(
                    r"Roster message trainee\d+@example.com Waiting to retry at .+ 1 "
                    + re.escape(TIMED_OUT),
                    row,
                )
                for row in rows
            ), rows

        # The hung server is gone; one that answers takes its address.
        controller = Controller(mail_server, hostname="127.0.0.1", port=mail_port)
        controller.start()
        # The beat's next sweep once the first retry is due (a minute after the failure).
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            assert outbox_sweep() == TRAINEES
        assert mail_server.wait_messages(TRAINEES, DEADLINE_SECONDS), worker.output()
        wait_for(lambda: worker_idle(worker, private_redis.url), "the retries to run", worker)
        with time_machine.travel(timezone.now() + timedelta(minutes=30)):
            assert outbox_sweep() == 0  # nothing left to send
    finally:
        if worker is not None:
            worker.stop()
        if controller is not None and controller._thread is not None:
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
        assert (
            "We meet in the Cedar room, second floor."
            in message.get_body(preferencelist=("plain",)).get_content()
        )
    # Admin → Outbox: each sent on its second attempt.
    rows = rows_of(coordinator.get(reverse("admin:registration_outboundemail_changelist")))
    assert len(rows) == TRAINEES
    assert all(re.search(r"Roster message trainee\d+@example.com Sent 2 ", row) for row in rows)
