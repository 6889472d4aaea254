"""The confirmation email: sent once the payment is committed, with the receipt, a calendar
file per session, and the Zoom link that only enrolled trainees ever see."""

from datetime import datetime

import pytest
from django.utils import timezone
from icalendar import Calendar

from catalog.formatting import PACIFIC
from catalog.models import Session
from registration.models import OutboundEmail
from registration.services.orders import order_mark_paid_offline

from .flows import offering_page, pay, register, session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

ZOOM_URL = "https://zoom.us/j/81234567890?pwd=polaris"


@pytest.fixture
def zoom_session():
    module_1 = session_of("module-1", 6)
    Session.objects.filter(pk=module_1.pk).update(zoom_url=ZOOM_URL)
    return module_1


def test_confirmation_email_waits_for_the_commit(
    signed_in, trainee, mailoutbox, django_capture_on_commit_callbacks
):
    order = register(
        signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6), method="offline"
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_mark_paid_offline(order=order, by=None, now=timezone.now())
        assert not mailoutbox

    assert not mailoutbox
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    assert OutboundEmail.objects.get(order=order, kind="order_confirmation").sent_at is not None


def test_confirmation_email_has_the_receipt_and_a_calendar_file_per_session(
    signed_in, trainee, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    june, july = session_of("module-1", 6), session_of("music-module", 7)
    order = register(signed_in, django_capture_on_commit_callbacks, june, july, ce="apa")

    pay(signed_in, fake_stripe, django_capture_on_commit_callbacks, order)

    (email,) = mailoutbox
    assert email.to == [trainee.email]
    assert email.subject == f"Your registration is confirmed ({order.code})"
    body = email.body
    assert f"Receipt {order.code}" in body
    assert "Tuition $325 · Administrative fee $25 · CE $79" in body
    assert "Tuition $200 · Administrative fee $0 · CE $39" in body
    assert "Total paid: $668 (Card (Stripe))" in body
    assert "APA CE: 8 CE credits" in body
    calendars = {
        name: Calendar.from_ical(content)
        for name, content, mimetype in email.attachments
        if mimetype == "text/calendar"
    }
    assert len(calendars) == 2 == len(email.attachments)
    starts = sorted(
        event.decoded("dtstart")
        for calendar in calendars.values()
        for event in calendar.walk("VEVENT")
    )
    assert starts == [june.starts_at, july.starts_at]


def test_the_zoom_link_is_emailed_and_shown_only_to_the_enrolled_trainee(
    client,
    make_trainee,
    zoom_session,
    before_season,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    enrolled, other = make_trainee(), make_trainee()
    client.force_login(enrolled)
    order = register(client, django_capture_on_commit_callbacks, zoom_session, method="offline")
    assert ZOOM_URL not in text(client.get("/my/"))  # held, not yet paid
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid_offline(order=order, by=None, now=timezone.now())

    confirmation = mailoutbox[-1]
    assert f"Zoom link: {ZOOM_URL}" in confirmation.body
    (calendar,) = [Calendar.from_ical(content) for _n, content, _m in confirmation.attachments]
    assert [str(event["location"]) for event in calendar.walk("VEVENT")] == [ZOOM_URL]
    # My trainings shows it from the day before the session (Mon, Jun 21).
    assert ZOOM_URL not in client.get("/my/").content.decode()
    assert "The Zoom link appears here from Sun, Jun 20, the day before the session." in text(
        client.get("/my/")
    )
    before_season.move_to(datetime(2027, 6, 19, 23, 59, tzinfo=PACIFIC))
    client.force_login(enrolled)  # months later: a new sign-in
    assert ZOOM_URL not in client.get("/my/").content.decode()
    before_season.move_to(datetime(2027, 6, 20, 0, 0, tzinfo=PACIFIC))
    assert ZOOM_URL in client.get("/my/").content.decode()

    client.force_login(other)
    assert ZOOM_URL not in client.get("/my/").content.decode()
    for visitor in (client, client.__class__()):
        assert ZOOM_URL not in offering_page(visitor, "module-1")
        assert ZOOM_URL not in visitor.get(f"/sessions/{zoom_session.pk}.ics").content.decode()
    assert all(ZOOM_URL not in m.body for m in mailoutbox if m.to != [enrolled.email])
