"""django-allauth's account emails go through the outbox: sign-up and password reset answer
normally while the mail server is down, the email is sent (once) when it is back, its
one-time link is never shown in the admin nor kept once sent, and closing an account
deletes the ones not sent yet."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib import auth
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from registration.models import OutboundEmail
from registration.services.account_emails import account_email_compose, account_email_queue
from registration.services.emails import email_send, emails_retry
from registration.tasks import outbox_sweep
from tests.admin_pages import rows_of
from tests.factories import PASSWORD, UserFactory
from tests.processes import free_port
from tests.smtp import use_smtp

from .flows import text

pytestmark = pytest.mark.usefixtures("catalog")

NEW_PASSWORD = "violet lantern harbour 93"
OUTBOX = "admin:registration_outboundemail_changelist"


def link(body: str, path_prefix: str) -> str:
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", body)
    assert match, f"no link to {path_prefix} in:\n{body}"
    return match.group(1)


@pytest.fixture
def smtp_down(settings):
    """The mail server refuses connections (nothing listens on its port)."""
    use_smtp(settings, free_port())


@pytest.fixture
def smtp_back(settings):
    """Bring the mail server back: Django's test backend, whose outbox the test reads."""

    def back() -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    return back


def sign_up(client, capture, address: str):
    with capture(execute=True):  # the outbox's task runs inline, after the commit
        return client.post(
            reverse("account_signup"),
            {"email": address, "password1": PASSWORD, "password2": PASSWORD},
        )


def reset(client, capture, address: str):
    with capture(execute=True):
        return client.post(reverse("account_reset_password"), {"email": address})


def sweep_when_due() -> int:
    """The beat's sweep once the first retry is due (a minute after the failure)."""
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        return outbox_sweep()


def test_sign_up_answers_while_smtp_is_down_and_the_link_arrives_once_it_is_back(
    client, smtp_down, smtp_back, mailoutbox, django_capture_on_commit_callbacks
):
    response = sign_up(client, django_capture_on_commit_callbacks, "sam@example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "Check your email" in text(client.get(response["Location"]))
    (row,) = OutboundEmail.objects.filter(kind="account")
    assert row.to == "sam@example.com" and row.status == OutboundEmail.Status.PENDING
    assert row.attempts == 1 and "ConnectionRefusedError" in row.last_error

    smtp_back()
    assert sweep_when_due() == 1
    assert sweep_when_due() == 0

    (message,) = mailoutbox
    assert message.to == ["sam@example.com"]
    assert message.subject == "[Polaris Trainings] Confirm your email address to finish signing up"
    assert message.from_email == "Polaris Insight Center <trainings@polarisinsight.example>"
    confirm = link(message.body, "/accounts/confirm-email/")
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(email="sam@example.com").verified
    assert auth.get_user(client).email == "sam@example.com"


def test_a_password_reset_asked_while_smtp_is_down_arrives_once_it_is_back_and_works(
    client, smtp_down, smtp_back, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(email="robin@example.com")

    response = reset(client, django_capture_on_commit_callbacks, "robin@example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    smtp_back()
    assert sweep_when_due() == 1

    (message,) = mailoutbox
    assert message.subject == "[Polaris Trainings] Reset your password"
    stage = client.get(link(message.body, "/accounts/password/reset/key/"))
    done = client.post(stage["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done["Location"] == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_admin_never_shows_the_link_and_the_row_forgets_it_once_sent(
    client,
    coordinator,
    smtp_down,
    smtp_back,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    UserFactory(email="robin@example.com")
    reset(client, django_capture_on_commit_callbacks, "robin@example.com")
    row = OutboundEmail.objects.get(kind="account")
    key_link = link(row.payload["text"], "/accounts/password/reset/key/")

    # While it waits: staff see what it is, to whom and why it failed, not the link.
    listing = coordinator.get(reverse(OUTBOX))
    (shown,) = rows_of(listing)
    assert "Account: password reset key robin@example.com Waiting to retry at" in shown
    page = coordinator.get(reverse("admin:registration_outboundemail_change", args=[row.pk]))
    assert page.status_code == 200 and "robin@example.com" in text(page)
    for staff_page in (listing, page):
        assert key_link not in staff_page.content.decode()
        assert "/accounts/password/reset/key/" not in staff_page.content.decode()

    smtp_back()
    with django_capture_on_commit_callbacks(execute=True):
        retried = coordinator.post(
            reverse(OUTBOX), {"action": "retry", ACTION_CHECKBOX_NAME: [row.pk]}, follow=True
        )
    assert "1 email queued again." in text(retried)
    (message,) = mailoutbox
    assert key_link in message.body

    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT
    assert row.payload == {
        "template": "account/email/password_reset_key",
        "subject": "[Polaris Trainings] Reset your password",
        "user": row.payload["user"],
    }
    assert (
        "Account: password reset key robin@example.com Sent"
        in rows_of(coordinator.get(reverse(OUTBOX)))[0]
    )


def test_a_failed_account_email_is_retried_with_its_link(
    client, smtp_down, smtp_back, mailoutbox, django_capture_on_commit_callbacks
):
    reset(client, django_capture_on_commit_callbacks, "nobody@example.com")  # no account
    row = OutboundEmail.objects.get(kind="account")
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.FAILED)

    smtp_back()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails_retry(email_ids=[row.pk], now=timezone.now()) == 1

    (message,) = mailoutbox
    assert message.to == ["nobody@example.com"]
    assert "/accounts/signup/" in message.body  # allauth's "unknown account" email
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT and "text" not in row.payload


def test_closing_an_account_deletes_its_account_emails_not_sent_yet(
    client, smtp_down, smtp_back, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(email="robin@example.com", verified_email=True)
    other = UserFactory(email="kim@example.com")
    reset(client, django_capture_on_commit_callbacks, "robin@example.com")
    reset(client, django_capture_on_commit_callbacks, "kim@example.com")
    assert OutboundEmail.objects.filter(kind="account").count() == 2

    client.force_login(user)
    closed = client.post("/account/close/", {"password": PASSWORD})
    assert closed.status_code == 302

    smtp_back()
    assert sweep_when_due() == 1
    (message,) = mailoutbox  # only the other account's reset
    assert message.to == [other.email]
    assert not OutboundEmail.objects.filter(to="robin@example.com").exists()


def test_allauths_html_alternative_is_sent_as_it_is(django_capture_on_commit_callbacks):
    message = EmailMultiAlternatives(
        "[Polaris Trainings] Confirm", "Text with a link", to=["sam@example.com"]
    )
    message.attach_alternative("<p>HTML with a <a href='x'>link</a></p>", "text/html")
    with django_capture_on_commit_callbacks(execute=False):
        row = account_email_queue(
            template_prefix="account/email/email_confirmation", message=message, user_id=None
        )

    composed = account_email_compose(row)

    assert composed.subject == "[Polaris Trainings] Confirm" and composed.to == ["sam@example.com"]
    assert composed.body == "Text with a link"
    assert composed.alternatives == [("<p>HTML with a <a href='x'>link</a></p>", "text/html")]


def test_an_account_email_whose_body_is_gone_is_not_sent(mailoutbox):
    row = OutboundEmail.objects.create(
        kind="account", key="account:gone", to="sam@example.com", payload={"subject": "x"}
    )

    assert email_send(key=row.key) is False
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.CANCELLED and not mailoutbox
