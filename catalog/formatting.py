"""How money and session times are written for people.

"$2,550", "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT".
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

PACIFIC = ZoneInfo("America/Los_Angeles")


def format_cents(cents: int | None) -> str:
    """Dollars with thousands separators; cents only when there are some."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}" + (f".{rest:02d}" if rest else "")


def _time(moment: datetime) -> str:
    return moment.strftime("%-I:%M %p")


def _day(moment: datetime, *, year: bool = True) -> str:
    text = moment.strftime("%a, %b %-d")
    return f"{text}, {moment.year}" if year else text


def format_session_when(starts_at: datetime | None, ends_at: datetime | None) -> str:
    """A session's date and time in Pacific time, its weekday computed from the date."""
    if starts_at is None or ends_at is None:
        return _("Dates to be announced")
    start, end = starts_at.astimezone(PACIFIC), ends_at.astimezone(PACIFIC)
    if start.date() == end.date():
        return f"{_day(start)} · {_time(start)} – {_time(end)} PT"
    return (
        f"{_day(start, year=start.year != end.year)} {_time(start)} – {_day(end)} {_time(end)} PT"
    )


def format_session_date(starts_at: datetime | None) -> str:
    if starts_at is None:
        return _("Dates to be announced")
    return _day(starts_at.astimezone(PACIFIC))


def format_session_times(starts_at: datetime | None, ends_at: datetime | None) -> str:
    """A session's hours in Pacific time: "9:00 AM – 5:00 PM PT"; over several days, the
    first day's start and the last day's end."""
    if starts_at is None or ends_at is None:
        return ""
    start, end = starts_at.astimezone(PACIFIC), ends_at.astimezone(PACIFIC)
    if start.date() == end.date():
        return f"{_time(start)} – {_time(end)} PT"
    return _("%(start)s (first day) – %(end)s (last day) PT") % {
        "start": _time(start),
        "end": _time(end),
    }


def choice_label(choices, value: str) -> str:
    """A choice's label as get_FOO_display() gives it (the value itself when unknown, as
    for a value stored before its choice was renamed)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value
