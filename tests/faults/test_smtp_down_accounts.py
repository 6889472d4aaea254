"""The mail server down while visitors sign up and ask for a password reset: both pages
answer as usual, allauth's emails wait in the outbox, are retried, and arrive once each when
the mail server is back, their links working (a real Celery worker, Redis, PostgreSQL and an
SMTP server; the site's own process would fail on the mail server too, were it to send)."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from allauth.account.models import EmailAddress
from django.contrib import auth
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registration.models import OutboundEmail
from registration.tasks import outbox_sweep
from tests.factories import PASSWORD, UserFactory
from tests.processes import DEADLINE_SECONDS, free_port, wait_for
from tests.registration.flows import text
from tests.smtp import RecordingHandler, use_smtp
from tests.worker import Worker, worker_idle

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]

NEW_PASSWORD = "violet lantern harbour 93"
SIGNING_UP = [f"newcomer{n}@example.com" for n in range(5)]
RESETTING = [f"member{n}@example.com" for n in range(5)]


def link(message, path_prefix: str) -> str:
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", message)
    assert match, f"no link to {path_prefix} in:\n{message}"
    return match.group(1)


def test_sign_ups_and_resets_while_smtp_is_down_get_their_email_once_it_is_back(
    app_on_private_redis, private_redis, worker_env, settings, tmp_path
):
    members = [UserFactory(email=address) for address in RESETTING]
    mail_port = free_port()  # nothing listens there yet: the mail server is down
    use_smtp(settings, mail_port)
    mail_server = RecordingHandler()
    worker = Worker(
        queue="celery",
        env={**worker_env, "EMAIL_URL": f"smtp://127.0.0.1:{mail_port}"},
        log=tmp_path / "worker.log",
    )
    controller = Controller(mail_server, hostname="127.0.0.1", port=mail_port)
    visitors = {address: Client() for address in SIGNING_UP + RESETTING}
    try:
        for address in SIGNING_UP:
            response = visitors[address].post(
                reverse("account_signup"),
                {"email": address, "password1": PASSWORD, "password2": PASSWORD},
                follow=True,
            )
            assert response.status_code == 200
            assert "Check your email" in text(response)
        for address in RESETTING:
            response = visitors[address].post(
                reverse("account_reset_password"), {"email": address}, follow=True
            )
            assert response.status_code == 200
            assert response.redirect_chain[-1][0] == reverse("account_reset_password_done")

        wait_for(lambda: worker_idle(worker, private_redis.url), "the worker to try them", worker)
        assert "Connection refused" in worker.output()
        assert not mail_server.messages

        controller.start()  # the mail server is back
        # The beat's next sweep once the first retry is due (a minute after the failure).
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            assert outbox_sweep() == len(visitors)
        assert mail_server.wait_messages(len(visitors), DEADLINE_SECONDS), worker.output()
        wait_for(lambda: worker_idle(worker, private_redis.url), "the retries to run", worker)
        with time_machine.travel(timezone.now() + timedelta(minutes=30)):
            assert outbox_sweep() == 0  # nothing left to send
    finally:
        worker.stop()
        if controller._thread is not None:
            controller.stop()

    received = [
        email.message_from_bytes(raw, policy=email.policy.default) for raw in mail_server.messages
    ]
    assert sorted(message["To"] for message in received) == sorted(visitors)  # each once
    by_address = {message["To"]: message for message in received}

    for address in SIGNING_UP:
        message = by_address[address]
        assert message["Subject"] == (
            "[Polaris Trainings] Confirm your email address to finish signing up"
        )
        confirmed = visitors[address].post(link(message.get_content(), "/accounts/confirm-email/"))
        assert confirmed.status_code == 302
        assert EmailAddress.objects.get(email=address).verified
        assert auth.get_user(visitors[address]).email == address

    for member in members:
        message = by_address[member.email]
        assert message["Subject"] == "[Polaris Trainings] Reset your password"
        visitor = visitors[member.email]
        stage = visitor.get(link(message.get_content(), "/accounts/password/reset/key/"))
        visitor.post(stage["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        member.refresh_from_db()
        assert member.check_password(NEW_PASSWORD)

    # Sent on the second attempt; the rows keep no body, so no link.
    rows = OutboundEmail.objects.filter(kind="account")
    assert {(row.status, row.attempts) for row in rows} == {(OutboundEmail.Status.SENT, 2)}
    assert not [row for row in rows if "text" in row.payload or "html" in row.payload]
