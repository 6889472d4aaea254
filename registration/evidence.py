"""What a trainee's sign-in and sign-out, and a Zoom participant report, say against attendance
in full. Pure: plain values in, plain values out (no ORM, no clock: `now` is passed in).

Every session needs both times once it has started (CE rules: sign-in and sign-out per
attendee, in person and on Zoom). Arriving or leaving more than the grace off the schedule,
or being connected on Zoom for less than the offering's share of the session, is partial
attendance, which earns no credit (BRN 16 CCR §1451(c); APA: full attendance only).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from catalog.formatting import PACIFIC


@dataclass(frozen=True)
class AttendanceFlags:
    """Each flag, and the same in words: `reasons` for messages and refusals ("left early at
    12:00 PM (session ends 5:00 PM)"), `labels` for the roster's narrow column."""

    late: bool = False
    left_early: bool = False
    no_sign_in: bool = False
    no_sign_out: bool = False
    zoom_percent: int | None = None  # the share of the session connected, when under the minimum
    reasons: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)

    @property
    def shows_partial(self) -> bool:
        """The times or the Zoom report show part of the session missed (a missing time
        shows nothing either way)."""
        return self.late or self.left_early or self.zoom_percent is not None


def _clock(moment: datetime, reference: datetime) -> str:
    """ "12:00 PM" in Pacific time; with the day when it is not the reference's day."""
    local, day = moment.astimezone(PACIFIC), reference.astimezone(PACIFIC).date()
    text = local.strftime("%-I:%M %p")
    return text if local.date() == day else f"{local.strftime('%b %-d')}, {text}"


def duration_text(minutes: int) -> str:
    """ "5 h 3 min", "8 h", "45 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min") % {"minutes": rest}
    if not rest:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}


def reasons_text(reasons: tuple[str, ...] | list[str]) -> str:
    """ "arrived late at 9:25 AM (session starts 9:00 AM) and left early at 3:30 PM (…)"."""
    if len(reasons) < 2:
        return "".join(reasons)
    return _("%(first)s and %(last)s") % {"first": ", ".join(reasons[:-1]), "last": reasons[-1]}


def flag_texts() -> dict[str, str]:
    """The flags' words in the active language: translated once for a whole roster rather
    than on each of its rows."""
    return {
        "no_record": _("no sign-in or sign-out recorded"),
        "no_record_label": _("no record"),
        "no_sign_in": _("no sign-in recorded"),
        "no_sign_in_label": _("no sign-in"),
        "no_sign_out": _("no sign-out recorded"),
        "no_sign_out_label": _("no sign-out"),
        "late": _("arrived late at %(time)s (session starts %(start)s)"),
        "late_label": _("late"),
        "left_early": _("left early at %(time)s (session ends %(end)s)"),
        "left_early_label": _("left early"),
        "zoom": _(
            "connected %(connected)s of %(scheduled)s on Zoom (%(percent)d%%; full "
            "attendance needs %(minimum)d%%)"
        ),
        "zoom_label": _("Zoom %(percent)d%%"),
    }


def attendance_flags(
    *,
    signed_in_at: datetime | None,
    signed_out_at: datetime | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    grace_minutes: int,
    zoom_connected_minutes: int | None = None,
    zoom_minimum_percent: int | None = None,
    now: datetime | None = None,
    texts: dict[str, str] | None = None,
) -> AttendanceFlags:
    """Late: signed in more than the grace after the start; left early: signed out more than
    the grace before the end; a missing sign-in or sign-out once the session has started (given
    `now`); connected on Zoom for less than the minimum share of the scheduled time.
    `texts` are flag_texts(), when the caller judges many rows."""
    texts = texts or flag_texts()
    grace = timedelta(minutes=grace_minutes)
    reasons: list[str] = []
    labels: list[str] = []
    started = now is not None and starts_at is not None and starts_at <= now
    no_sign_in = started and signed_in_at is None
    no_sign_out = started and signed_out_at is None
    if no_sign_in and no_sign_out:
        reasons.append(texts["no_record"])
        labels.append(texts["no_record_label"])
    elif no_sign_in:
        reasons.append(texts["no_sign_in"])
        labels.append(texts["no_sign_in_label"])
    elif no_sign_out:
        reasons.append(texts["no_sign_out"])
        labels.append(texts["no_sign_out_label"])
    late = bool(signed_in_at and starts_at and signed_in_at > starts_at + grace)
    if late:
        reasons.append(
            texts["late"]
            % {"time": _clock(signed_in_at, starts_at), "start": _clock(starts_at, starts_at)}
        )
        labels.append(texts["late_label"])
    left_early = bool(signed_out_at and ends_at and signed_out_at < ends_at - grace)
    if left_early:
        reasons.append(
            texts["left_early"]
            % {"time": _clock(signed_out_at, ends_at), "end": _clock(ends_at, ends_at)}
        )
        labels.append(texts["left_early_label"])
    zoom_percent = None
    if (
        zoom_connected_minutes is not None
        and zoom_minimum_percent is not None
        and starts_at is not None
        and ends_at is not None
        and ends_at > starts_at
    ):
        scheduled = int((ends_at - starts_at).total_seconds() // 60)
        if zoom_connected_minutes * 100 < zoom_minimum_percent * scheduled:
            zoom_percent = zoom_connected_minutes * 100 // scheduled
            reasons.append(
                texts["zoom"]
                % {
                    "connected": duration_text(zoom_connected_minutes),
                    "scheduled": duration_text(scheduled),
                    "percent": zoom_percent,
                    "minimum": zoom_minimum_percent,
                }
            )
            labels.append(texts["zoom_label"] % {"percent": zoom_percent})
    return AttendanceFlags(
        late=late,
        left_early=left_early,
        no_sign_in=no_sign_in,
        no_sign_out=no_sign_out,
        zoom_percent=zoom_percent,
        reasons=tuple(reasons),
        labels=tuple(labels),
    )


def zoom_connected_minutes(
    connections: list[tuple[datetime, datetime]], *, starts_at: datetime, ends_at: datetime
) -> int:
    """Whole minutes connected within the scheduled time, overlapping connections (two
    devices, a reconnect before the drop registered) counted once."""
    spans = sorted(
        (max(joined, starts_at), min(left, ends_at))
        for joined, left in connections
        if left > starts_at and joined < ends_at
    )
    total = timedelta()
    current_start = current_end = None
    for start, end in spans:
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return int(total.total_seconds() // 60)
