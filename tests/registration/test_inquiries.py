"""Contact inquiries: one form per topic, stored and emailed to the topic's recipient with an
acknowledgement to the visitor; robots meet a honeypot and a per-address hourly limit."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape

from catalog.models import SiteSettings
from registration.models import Inquiry, InquiryRecipient, InquiryTopic, OutboundEmail
from registration.roles import COORDINATOR
from tests.factories import StaffFactory, login_staff

from .flows import error_summary, text

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    def post(topic=InquiryTopic.CERTIFICATE, address="203.0.113.7", **fields):
        data = {
            "name": "Grace Hopper",
            "email": "grace@example.com",
            "message": "When will my certificate arrive?",
            "website": "",
            **fields,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("registration:contact_topic", args=[topic]), data, REMOTE_ADDR=address
            )

    return post


def test_contact_page_lists_every_topic_and_each_topic_page_renders(client):
    page = client.get(reverse("registration:contact"))
    assert page.status_code == 200
    for topic in InquiryTopic:
        assert str(topic.label) in text(page)
        form = client.get(reverse("registration:contact_topic", args=[topic.value]))
        assert form.status_code == 200
        assert str(topic.label) in text(form)
        assert 'name="website"' in form.content.decode()
    assert client.get("/contact/no-such-topic/").status_code == 404


def test_footer_links_to_the_contact_page(client):
    assert (
        reverse("registration:contact")
        in client.get(reverse("registration:contact")).content.decode()
    )


def test_valid_inquiry_is_stored_and_emailed_to_the_recipient_and_acknowledged(send, mailoutbox):
    InquiryRecipient.objects.create(topic=InquiryTopic.NURSES_CE, email="nurses@example.org")

    response = send(topic=InquiryTopic.NURSES_CE, message="Do you offer CE for RNs?")

    assert response.status_code == 200
    assert "Thank you for your message" in text(response)
    inquiry = Inquiry.objects.get()
    assert (inquiry.topic, inquiry.status) == (InquiryTopic.NURSES_CE, Inquiry.Status.NEW)
    received, ack = sorted(mailoutbox, key=lambda m: m.to[0] != "nurses@example.org")
    assert received.to == ["nurses@example.org"]
    assert "Inquiry: CE for nurses" in received.subject
    assert "Do you offer CE for RNs?" in received.body
    assert "grace@example.com" in received.body
    assert ack.to == ["grace@example.com"]
    assert "We received your message" in ack.subject
    assert "CE for nurses" in ack.body


def test_without_a_configured_recipient_the_coordinator_receives_it(send, mailoutbox):
    SiteSettings.objects.update(coordinator_email="coordinator@example.org")
    cache.delete(SiteSettings.CACHE_KEY)
    send()
    assert {m.to[0] for m in mailoutbox} == {"coordinator@example.org", "grace@example.com"}


def test_without_any_coordinator_address_the_site_address_receives_it(send, mailoutbox, settings):
    SiteSettings.objects.update(coordinator_email="")
    cache.delete(SiteSettings.CACHE_KEY)
    send()
    assert settings.DEFAULT_FROM_EMAIL in {m.to[0] for m in mailoutbox}


def test_emails_leave_only_after_commit(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            reverse("registration:contact_topic", args=[InquiryTopic.KAP_GROUP]),
            {"name": "A", "email": "a@example.com", "message": "Hi", "website": ""},
        )
    assert mailoutbox == [] and len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 2


def test_honeypot_shows_a_neutral_thank_you_and_stores_and_sends_nothing(send, mailoutbox):
    response = send(website="http://spam.example")
    assert response.status_code == 200
    assert "Thank you for your message" in text(response)
    assert Inquiry.objects.count() == 0
    assert mailoutbox == []


def test_sixth_inquiry_from_one_address_in_an_hour_is_refused(send, mailoutbox):
    for _ in range(5):
        assert send().status_code == 200
    mailoutbox.clear()

    refused = send()

    assert refused.status_code == 429
    assert "Too many messages" in text(refused)
    assert Inquiry.objects.count() == 5
    assert mailoutbox == []
    assert send(address="198.51.100.1").status_code == 200


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"message": "x" * 5001}, "Keep your message under 5000 characters (it has 5001)."),
        ({"message": ""}, "Enter your message."),
        ({"name": ""}, "Enter your name."),
        ({"email": "grace"}, "Enter an email address like name@example.com."),
        ({"name": "x" * 121}, "Keep your name under 120 characters."),
    ],
)
def test_bad_input_shows_errors_and_stores_nothing(send, mailoutbox, fields, message):
    response = send(**fields)
    assert response.status_code == 400
    assert message in error_summary(response)
    field = next(iter(fields))
    assert message in text(response).replace(error_summary(response), "")  # next to the field
    assert f'id="id_{field}"' in response.content.decode()
    assert Inquiry.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def test_an_apostrophe_and_an_ampersand_read_as_typed_in_the_centers_email(send, mailoutbox):
    send(name="Siobhán O'Brien & Co", message="Is the R&D module's date set?")

    ack = next(m for m in mailoutbox if m.to == ["grace@example.com"])
    received = next(m for m in mailoutbox if m.to != ["grace@example.com"])
    # The acknowledgement goes to whatever address was typed: it repeats no typed name.
    assert ack.body.startswith("Hello,\n") and "Siobhán" not in ack.body
    assert "From: Siobhán O'Brien & Co <grace@example.com>" in received.body
    assert "Is the R&D module's date set?" in received.body
    assert "&amp;" not in ack.body + received.body and "&#x27;" not in ack.body + received.body


def test_html_in_fields_is_plain_text_in_emails_and_escaped_in_admin(client, send, mailoutbox):
    send(name=SCRIPT, message=f"Hello {SCRIPT}")
    # Markup typed is shown as the characters typed, in the text and the HTML, never run.
    assert all(message.content_subtype == "plain" for message in mailoutbox)
    for message in mailoutbox:
        ((html, _mimetype),) = message.alternatives
        assert "<script" not in html
    received = next(m for m in mailoutbox if m.to != ["grace@example.com"])
    assert f"Hello {SCRIPT}" in received.body
    assert f"Hello {escape(SCRIPT)}" in received.alternatives[0][0]

    coordinator = StaffFactory(roles=[COORDINATOR])
    login_staff(client, coordinator)
    listing = client.get(reverse("admin:registration_inquiry_changelist"))
    assert listing.status_code == 200
    assert SCRIPT not in listing.content.decode()
    assert "&lt;script&gt;" in listing.content.decode()
    inquiry = Inquiry.objects.get()
    detail = client.get(reverse("admin:registration_inquiry_change", args=[inquiry.pk]))
    assert detail.status_code == 200
    assert SCRIPT not in detail.content.decode()


def test_coordinator_marks_inquiries_answered_and_searches(client, send):
    send(name="Grace Hopper")
    send(name="Alan Turing", email="alan@example.com")
    coordinator = StaffFactory(roles=[COORDINATOR])
    login_staff(client, coordinator)
    url = reverse("admin:registration_inquiry_changelist")

    found = client.get(url, {"q": "alan@example.com"})
    assert "Alan Turing" in text(found) and "Grace Hopper" not in text(found)

    alan = Inquiry.objects.get(name="Alan Turing")
    response = client.post(
        url, {"action": "mark_answered", "_selected_action": [alan.pk]}, follow=True
    )
    assert "1 inquiry marked answered" in text(response)
    alan.refresh_from_db()
    assert alan.status == Inquiry.Status.ANSWERED and alan.answered_at is not None
    assert Inquiry.objects.get(name="Grace Hopper").status == Inquiry.Status.NEW

    recipients = client.get(reverse("admin:registration_inquiryrecipient_add"))
    assert recipients.status_code == 200


def submission_of(client, topic=InquiryTopic.CERTIFICATE) -> str:
    """The token the form carries from the moment the page shows it."""
    page = client.get(reverse("registration:contact_topic", args=[topic])).content.decode()
    return re.search(r'name="submission" value="([^"]+)"', page)[1]


def test_the_same_form_sent_twice_is_stored_and_emailed_once(client, send, mailoutbox):
    token = submission_of(client)

    first = send(submission=token)
    again = send(submission=token)  # the browser retries, or a double click

    assert [first.status_code, again.status_code] == [200, 200]
    assert "Thank you for your message" in text(again)
    assert Inquiry.objects.count() == 1
    assert len(mailoutbox) == 2


def test_another_message_sent_from_the_same_page_is_stored_too(client, send, mailoutbox):
    token = submission_of(client)

    send(submission=token, message="When will my certificate arrive?")
    send(submission=token, message="And may I have it in my married name?")

    assert sorted(Inquiry.objects.values_list("message", flat=True)) == [
        "And may I have it in my married name?",
        "When will my certificate arrive?",
    ]
    # Both reach the center; the typed address is acknowledged once a day.
    assert [m.to[0] for m in mailoutbox].count("grace@example.com") == 1
    assert len(mailoutbox) == 3
