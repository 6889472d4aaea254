"""Every email goes as plain text with an HTML alternative in the site's look: the key ones
(confirmation, evaluation request) with their own layout, the others their text set as HTML."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from certificates.tasks import evaluation_requests_send
from registration.services.emails import text_as_html
from registration.services.enrolments import enrolment_cancel
from registration.services.orders import order_mark_paid_offline

from .flows import paid_order, register, session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def html_of(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def test_the_confirmation_email_has_a_plain_text_and_an_html_part_saying_the_same(
    signed_in, trainee, mailoutbox, django_capture_on_commit_callbacks
):
    order = register(
        signed_in,
        django_capture_on_commit_callbacks,
        session_of("module-1", 6),
        method="offline",
        ce="apa",
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid_offline(order=order, by=None, now=timezone.now())

    (message,) = mailoutbox
    html = html_of(message)
    assert "<" not in message.body
    assert VIEWPORT in html and "max-width:600px" in html
    shown = text(html)
    for part in (message.body, shown):
        assert f"Hello {trainee.trainee_profile.legal_name}," in part
        assert "Module 1: Introductory Workshop on Ketamine-Assisted Psychotherapy" in part
        assert "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT" in part
        assert f"Receipt {order.code}" in part
        assert "Tuition $325 · Administrative fee $25 · CE $79" in part
        assert "APA CE: 8 CE credits" in part
        assert "Refund and cancellation policy" in part
        assert "The administrative fee is not refundable." in part
    assert "Total paid $429" in shown
    assert re.search(r'<a href="http://[^"]+/my/"[^>]*>Your trainings and receipts</a>', html)
    # The calendar files stay attached beside the two parts.
    assert [mimetype for _n, _c, mimetype in message.attachments] == ["text/calendar"]
    raw = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    assert raw.get_body(preferencelist=("html",)).get_content_type() == "text/html"
    assert raw.get_body(preferencelist=("plain",)).get_content().startswith("Hello ")


def test_an_email_without_its_own_html_says_its_text_in_the_sites_layout(
    trainee, mailoutbox, django_capture_on_commit_callbacks
):
    order = paid_order(trainee, session_of("module-1", 6))
    enrolment = order.lines.get().enrolments.get()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        enrolment_cancel(enrolment=enrolment, by=trainee, now=timezone.now())

    (message,) = mailoutbox
    html = html_of(message)
    assert VIEWPORT in html
    assert "Polaris Insight Center Trainings" in text(html)
    assert f'<p style="margin:0 0 16px;">Hello {trainee.trainee_profile.legal_name},</p>' in html
    assert "is cancelled." in text(html)
    assert re.search(r'<a href="http://[^"]+/my/"[^>]*>http://[^<]+/my/</a>', html)


def test_the_evaluation_request_has_a_button_to_the_evaluation(
    trainee, mailoutbox, django_capture_on_commit_callbacks
):

    order = paid_order(trainee, session_of("module-1", 6))
    enrolment = order.lines.get().enrolments.get()
    enrolment.attendance = "attended"
    enrolment.save(update_fields=["attendance"])
    mailoutbox.clear()

    with (
        time_machine.travel(enrolment.session.ends_at + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        evaluation_requests_send()

    (message,) = mailoutbox
    html = html_of(message)
    assert re.search(
        rf'<a href="http://[^"]+/evaluations/{enrolment.pk}/"[^>]*>Evaluate the course</a>', html
    )
    assert "rate each learning objective and each instructor" in text(html)
    assert f"/evaluations/{enrolment.pk}/" in message.body


def test_text_as_html_escapes_makes_paragraphs_lists_and_links():
    html = text_as_html(
        "Hello <b>Ann</b> & co,\n\n* One\n  more\n* Two\n\nSee https://example.org/x?a=1&b=2\nBye"
    )

    assert "Hello &lt;b&gt;Ann&lt;/b&gt; &amp; co," in html
    assert '<li style="margin:0 0 8px;">One<br>more</li>' in html
    assert '<li style="margin:0 0 8px;">Two</li>' in html
    assert '<a href="https://example.org/x?a=1&amp;b=2"' in html
    assert html.count("<p ") == 2
