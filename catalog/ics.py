"""iCalendar files for sessions, built with the icalendar library."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from icalendar import Calendar, Event

from .formatting import PACIFIC
from .models import Session

PRODID = "-//Polaris Insight Center//Polaris Trainings//EN"


def _event(session: Session, *, base_url: str, now: datetime, zoom_url: str = "") -> Event:
    offering = session.offering
    event = Event()
    event.add("uid", f"session-{session.pk}@polaris-trainings")
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
