"""Interest lists: visitors sign up for dates to be announced, confirm by double opt-in, and
hear once about each session staff publish; every email lets them leave the list."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offering, Session
from registration.models import InterestNotification, InterestSignup, OutboundEmail
from registration.roles import COORDINATOR
from registration.tasks import interest_notify
from tests.factories import StaffFactory, login_staff

from .flows import error_summary, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

SLUG = "residential-level-1"


@pytest.fixture
def residential():
    return Offering.objects.get(slug=SLUG)


@pytest.fixture
def sign_up(client, django_capture_on_commit_callbacks):
    def post(name="Ada Lovelace", email="ada@example.com", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("registration:interest", args=[SLUG]),
                {"name": name, "email": email, "website": "", **extra},
            )

    return post


@pytest.fixture
def run_task(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return interest_notify.delay().get()

    return run


def link_in(message, kind: str) -> str:
    return re.search(rf"https?://\S+(/interest/{kind}/\S+/)", message.body)[1]


def confirm(client, message):
    link = link_in(message, "confirm")
    return client.post(link)


def publish(offering: Offering) -> Session:
    session = offering.sessions.get(status=Session.Status.TBA)
    session.starts_at = timezone.now() + timedelta(days=120)
    session.ends_at = session.starts_at + timedelta(days=4)
    session.status = Session.Status.SCHEDULED
    session.save()
    return session


def test_offering_page_links_to_the_interest_list(client, residential):
    page = client.get(residential.get_absolute_url())
    assert reverse("registration:interest", args=[SLUG]) in page.content.decode()
    assert 'method="post"' not in page.content.decode().split('id="who"')[1].split("</section>")[0]


def test_a_published_session_is_emailed_once_to_each_confirmed_subscriber(
    client, residential, sign_up, run_task, mailoutbox
):
    page = client.get(reverse("registration:interest", args=[SLUG]))
    assert page.status_code == 200
    assert "Hear when dates are published" in text(page)

    response = sign_up(email="Ada@Example.com")
    assert response.status_code == 200
    assert "Check your email" in text(response)
    (confirmation,) = mailoutbox
    assert confirmation.to == ["ada@example.com"]
    assert "Confirm your interest in Residential Level 1" in confirmation.subject

    assert "Confirm my email address" in text(client.get(link_in(confirmation, "confirm")))
    assert "you are on the list" in text(confirm(client, confirmation))
    assert InterestSignup.objects.get().confirmed_at is not None

    sign_up(name="Unconfirmed", email="later@example.com")
    sign_up(name="Gone", email="gone@example.com")
    gone = mailoutbox[-1]
    confirm(client, gone)
    client.post(link_in(gone, "confirm").replace("confirm", "unsubscribe"))
    mailoutbox.clear()

    assert run_task() == 0  # nothing published yet
    session = publish(residential)
    assert run_task() == 1
    assert run_task() == 0

    (message,) = mailoutbox
    assert message.to == ["ada@example.com"]
    assert "New date for Residential Level 1" in message.subject
    assert session.when in message.body
    assert residential.get_absolute_url() in message.body
    assert InterestNotification.objects.get().session == session


def test_unsubscribe_link_takes_the_subscriber_off_the_list(
    client, residential, sign_up, run_task, mailoutbox
):
    sign_up()
    confirm(client, mailoutbox[0])
    first = publish(residential)
    run_task()
    link = link_in(mailoutbox[-1], "unsubscribe")

    assert "Leave the list" in text(client.get(link))
    assert "no longer on the list" in text(client.post(link))
    assert "no longer on the list" in text(client.post(link))  # replayed: harmless
    assert InterestSignup.objects.get().unsubscribed_at is not None

    Session.objects.create(
        offering=residential,
        starts_at=first.starts_at + timedelta(days=30),
        ends_at=first.ends_at + timedelta(days=30),
        capacity=20,
    )
    mailoutbox.clear()
    assert run_task() == 0
    assert mailoutbox == []


def test_replayed_confirmation_link_is_harmless(client, residential, sign_up, mailoutbox):
    sign_up()
    message = mailoutbox[0]
    confirm(client, message)
    confirmed_at = InterestSignup.objects.get().confirmed_at

    again = confirm(client, message)
    assert again.status_code == 200
    assert "You are already on the list" in text(again)
    assert "You are already on the list" in text(client.get(link_in(message, "confirm")))
    assert InterestSignup.objects.get().confirmed_at == confirmed_at


def test_unknown_link_is_refused_clearly(client):
    response = client.post(reverse("registration:interest_confirm", args=["not-a-token"]))
    assert response.status_code == 404
    assert "This link is not valid" in text(response)


def test_signing_up_twice_keeps_one_signup(client, residential, sign_up, mailoutbox):
    sign_up(email="ada@example.com")
    sign_up(email="ADA@example.com ")
    assert InterestSignup.objects.count() == 1
    assert len(mailoutbox) == 1  # the link goes once a day to an address (tests/security)
    confirm(client, mailoutbox[0])
    mailoutbox.clear()
    sign_up(email="ada@example.com")
    assert mailoutbox == []


def test_the_same_signup_form_sent_twice_sends_the_link_once(
    client, residential, sign_up, mailoutbox
):
    page = client.get(reverse("registration:interest", args=[SLUG])).content.decode()
    token = re.search(r'name="submission" value="([^"]+)"', page)[1]

    first = sign_up(submission=token)
    again = sign_up(submission=token)  # the browser retries, or a double click

    assert "Check your email" in text(first) and "Check your email" in text(again)
    assert InterestSignup.objects.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not an email"}, "Enter an email address like name@example.com."),
        ({"email": ""}, "Enter your email address."),
        ({"name": "x" * 121}, "Keep your name under 120 characters."),
        ({"name": ""}, "Enter your name."),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(sign_up, mailoutbox, fields, message):
    response = sign_up(**fields)
    assert response.status_code == 400
    assert message in error_summary(response)
    assert InterestSignup.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def test_honeypot_shows_thanks_and_stores_nothing(sign_up, mailoutbox):
    response = sign_up(website="http://spam.example")
    assert response.status_code == 200
    assert "Check your email" in text(response)
    assert InterestSignup.objects.count() == 0
    assert mailoutbox == []


def test_a_name_with_an_apostrophe_is_greeted_as_typed_once_the_address_is_confirmed(
    client, residential, sign_up, run_task, mailoutbox
):
    sign_up(name="Aoife O'Connor-Smith")
    # Anyone could have typed the address: the confirmation repeats no typed name.
    assert mailoutbox[0].body.startswith("Hello,\n")
    confirm(client, mailoutbox[0])
    publish(residential)
    run_task()
    assert "Hello Aoife O'Connor-Smith," in mailoutbox[-1].body


def test_html_in_the_name_is_plain_text_in_emails_and_escaped_in_admin(
    client, residential, sign_up, run_task, mailoutbox
):
    sign_up(name="<script>alert(1)</script>")
    assert "<script>" not in mailoutbox[0].body  # no typed name before confirmation
    confirm(client, mailoutbox[0])
    publish(residential)
    run_task()
    assert "Hello <script>alert(1)</script>," in mailoutbox[-1].body
    # The HTML part shows the characters typed, never runs them.
    for message in mailoutbox:
        ((html, _mimetype),) = message.alternatives
        assert "<script>" not in html
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;," in mailoutbox[-1].alternatives[0][0]

    coordinator = StaffFactory(roles=[COORDINATOR])
    login_staff(client, coordinator)
    page = client.get(reverse("admin:registration_interestsignup_changelist"))
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content.decode()
    assert "Confirmed" in text(page)
    signup = InterestSignup.objects.get()
    detail = client.get(reverse("admin:registration_interestsignup_change", args=[signup.pk]))
    assert detail.status_code == 200
    assert "<script>alert(1)</script>" not in detail.content.decode()
