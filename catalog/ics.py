"""iCalendar files for sessions, built with the icalendar library."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress

from .formatting import PACIFIC
from .models import Session

PRODID = "-//Polaris Insight Center//Polaris Trainings//EN"


def _event(
    session: Session, *, base_url: str, now: datetime, zoom_url: str = "", uid: str = ""
) -> Event:
    offering = session.offering
    event = Event()
    event.add("uid", uid or f"session-{session.pk}@polaris-trainings")
    event.add("dtstamp", now)
    event.add("dtstart", session.starts_at.astimezone(PACIFIC))
    event.add("dtend", session.ends_at.astimezone(PACIFIC))
    event.add("summary", f"{offering.display_title} (Polaris Insight Center)")
    event.add("url", f"{base_url}{offering.get_absolute_url()}")
    event.add("description", f"{offering.summary}\n\n{base_url}{offering.get_absolute_url()}")
    if zoom_url:
        event.add("location", zoom_url)
    elif offering.delivery == offering.Delivery.ZOOM:
        event.add("location", "Online on Zoom (the link is sent to enrolled trainees)")
    elif session.location:
        event.add("location", session.location)
    return event


def sessions_calendar(
    sessions: Iterable[Session], *, base_url: str, name: str, now: datetime, zoom_url: str = ""
) -> bytes:
    """An iCalendar file; `zoom_url` only for a calendar sent to an enrolled trainee."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for session in sessions:
        calendar.add_component(_event(session, base_url=base_url, now=now, zoom_url=zoom_url))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def registration_calendar(
    session: Session,
    *,
    uid: str,
    sequence: int,
    cancelled: bool,
    organizer_email: str,
    attendee_email: str,
    base_url: str,
    now: datetime,
    zoom_url: str = "",
) -> bytes:
    """One trainee's calendar entry for a registration, as an iTIP message (RFC 5546).

    The same `uid` for the whole life of the registration and a growing `sequence` make a
    calendar replace the entry when the date changes (METHOD:REQUEST) and remove it when the
    registration is cancelled (METHOD:CANCEL), rather than add another.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = _event(
        session, base_url=base_url, now=now, zoom_url="" if cancelled else zoom_url, uid=uid
    )
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = "Polaris Insight Center"
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["partstat"] = "ACCEPTED"
    attendee.params["rsvp"] = "FALSE"
    event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
