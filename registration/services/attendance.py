"""Attendance on a session's roster: attended in full, partial or absent, sign-in and sign-out
times (typed in or imported from a Zoom participant report), and what the roster sends out:
its CSV export, the printable sign-in sheet, and a message to every trainee on it.

The coordinator decides who attended in full; the times and the Zoom report are the evidence
(registration.evidence flags them). Partial attendance earns no credit (BRN 16 CCR §1451(c);
APA: full attendance only), so a flagged trainee is never marked attended in full in bulk:
only one row at a time, with the coordinator's reason, kept on the row and in the order's log.
"""

import csv
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import log_actions
from catalog.formatting import PACIFIC
from catalog.models import Offering, Session, SiteSettings
from polaris.pdf import render_pdf, static_base_url, static_file_uri

from .. import signals
from ..actions import when
from ..evidence import AttendanceFlags, reasons_text, zoom_connected_minutes
from ..models import Enrolment, OutboundEmail, RosterMessage
from ..selectors import RosterRow, enrolment_flags, roster_entries, roster_rows, trainee_name
from .emails import emails_queue

logger = logging.getLogger(__name__)

ZOOM_REPORT_MAX_BYTES = 2 * 1024 * 1024
# How far outside the session a Zoom join may be before the report is taken for another day's.
ZOOM_REPORT_SLACK = timedelta(hours=12)


class AttendanceError(Exception):
    """Refused: nothing was changed."""


def _started(session: Session, now: datetime) -> bool:
    return session.starts_at is not None and session.starts_at <= now


def _check_markable(session: Session, now: datetime) -> None:
    if session.status == Session.Status.CANCELLED:
        raise AttendanceError(_("This session was cancelled: there is no attendance to mark."))
    if not _started(session, now):
        raise AttendanceError(_("Attendance can't be marked on a future session."))


def _log(entries: Iterable[Enrolment], *, by, action: str, data) -> None:
    """One line in each order's audit log: who changed what on the roster, and when;
    `data(entry)` is what the line keeps of each entry."""
    log_actions(
        (
            (e.order_line.order, {"session": str(e.session), **data(e)})
            for e in entries
            if e.order_line_id
        ),
        action,
        actor=by,
    )


def _pt(moment: datetime | None) -> str:
    return moment.astimezone(PACIFIC).strftime("%b %-d, %-I:%M %p") if moment else "—"


# --------------------------------------------------------------------------------------
# Attended in full, partial, absent
# --------------------------------------------------------------------------------------

Attendance = Enrolment.Attendance


def _flags(entry: Enrolment, now: datetime) -> AttendanceFlags:
    return enrolment_flags(
        entry, grace_minutes=SiteSettings.current().attendance_grace_minutes, now=now
    )


def _certified(entries: Iterable[Enrolment]) -> set[int]:
    """Which of these hold a valid certificate (as certificates answers: see
    signals.attendance_relied_on): their attendance is no longer to be undone."""
    return set().union(*signals.answers(signals.attendance_relied_on, enrolments=list(entries)))


@dataclass(frozen=True)
class Marked:
    """What marking did: how many trainees now have that attendance, and the flagged trainees
    "Mark attended" left out, each with what flags them."""

    count: int
    left_out: list[tuple[Enrolment, tuple[str, ...]]] = field(default_factory=list)


def attendance_mark(*, enrolment_ids: Iterable[int], attendance: str, by, now: datetime) -> Marked:
    """Mark roster entries attended in full, partial or absent.

    Attended in full leaves out every entry whose times or Zoom report are flagged (late, left
    early, no sign-in or sign-out, too little of the session on Zoom) and is not attended in
    full already: they are reported with why, and the rest are marked. Refused as a whole
    (nothing changes) when one of them is in a session that has not started, or, to mark
    partial or absent, when one already holds a valid certificate. With the site setting on,
    marking attended issues their certificates once this commits (signals.attendance_marked).
    """
    value = Attendance(attendance)
    if value == Attendance.UNMARKED:
        raise ValueError("Marking sets an attendance; it does not unmark.")
    with transaction.atomic():
        entries = list(
            roster_entries(now=now)
            .filter(pk__in=list(enrolment_ids))
            .select_for_update(of=("self",))
        )
        for session in {e.session_id: e.session for e in entries}.values():
            _check_markable(session, now)
        if value != Attendance.ATTENDED:
            certified = len(_certified(entries))
            if certified:
                raise AttendanceError(
                    ngettext(
                        "%(count)d of these trainees already has a certificate: revoke it "
                        "before marking them %(value)s.",
                        "%(count)d of these trainees already have a certificate: revoke them "
                        "before marking them %(value)s.",
                        certified,
                    )
                    % {"count": certified, "value": str(value.label).lower()}
                )
        chosen, left_out = [], []
        for entry in entries:
            flags = None
            if value == Attendance.ATTENDED and entry.attendance != value:
                flags = _flags(entry, now)
            if flags is not None and flags.flagged:
                left_out.append((entry, flags.reasons))
            else:
                chosen.append(entry)
        changed = [e for e in chosen if e.attendance != value]
        Enrolment.objects.filter(pk__in=[e.pk for e in changed]).update(
            attendance=value, override_reason=""
        )
        _log(
            changed,
            by=by,
            action="registration.attendance.marked",
            data=lambda e: {"attendance": value},
        )
        if value == Attendance.ATTENDED:
            _marked_attended([e.pk for e in chosen], by=by, now=now)
    return Marked(count=len(chosen), left_out=left_out)


def attendance_problems(
    *,
    entry: Enrolment,
    attendance: str,
    override_reason: str,
    signed_in_at: datetime | None,
    signed_out_at: datetime | None,
    now: datetime,
) -> dict[str, str]:
    """What is wrong with giving this roster row that attendance and reason to count in full,
    with the sign-in and sign-out it will then have; by field, empty when nothing is."""
    reason = override_reason.strip()
    times_changed = (signed_in_at, signed_out_at) != (entry.signed_in_at, entry.signed_out_at)
    decided = (attendance, reason) != (entry.attendance, entry.override_reason)
    if not decided and not times_changed:
        return {}
    if decided and attendance != Attendance.UNMARKED:
        try:
            _check_markable(entry.session, now)
        except AttendanceError as error:
            return {"attendance": str(error)}
    undone = attendance not in (entry.attendance, Attendance.ATTENDED)
    if undone and entry.pk in _certified([entry]):
        return {
            "attendance": _(
                "This trainee has a certificate for attending in full: revoke it before "
                "changing the attendance."
            )
        }
    if attendance != Attendance.ATTENDED:
        return {}
    evidence = Enrolment(
        session=entry.session,
        signed_in_at=signed_in_at,
        signed_out_at=signed_out_at,
        zoom_connected_minutes=entry.zoom_connected_minutes,
    )
    flags = _flags(evidence, now)
    if not flags.flagged or reason:
        return {}
    if entry.attendance != Attendance.ATTENDED or entry.override_reason:
        return {
            "override_reason": ngettext(
                "Write why this trainee counts as attended in full despite the flag: %(flags)s.",
                "Write why this trainee counts as attended in full despite the flags: %(flags)s.",
                len(flags.reasons),
            )
            % {"flags": reasons_text(flags.reasons)}
        }
    # Attended in full until now, and these times show part of the session missed: it
    # becomes partial, unless that would leave a certificate standing on partial attendance.
    if flags.shows_partial and entry.pk in _certified([entry]):
        field_name = "signed_out_at" if signed_out_at != entry.signed_out_at else "signed_in_at"
        return {
            field_name: _(
                "This trainee has a certificate for attending in full, and these times make "
                "the attendance partial (%(flags)s): revoke the certificate first."
            )
            % {"flags": reasons_text(flags.reasons)}
        }
    return {}


def attendance_set(
    *, enrolment_id: int, attendance: str, override_reason: str, by, now: datetime
) -> Enrolment:
    """One roster row's attendance, as the coordinator chose it on the row. A flagged row
    counts in full only with the coordinator's written reason, which is kept on the row and
    in the order's audit log; any other attendance drops the reason."""
    value = Attendance(attendance)
    with transaction.atomic():
        entry = roster_entries(now=now).select_for_update(of=("self",)).get(pk=enrolment_id)
        reason = override_reason.strip()
        problems = attendance_problems(
            entry=entry,
            attendance=value,
            override_reason=reason,
            signed_in_at=entry.signed_in_at,
            signed_out_at=entry.signed_out_at,
            now=now,
        )
        if problems:
            raise AttendanceError(" ".join(problems.values()))
        flags = _flags(entry, now) if value == Attendance.ATTENDED else None
        if flags is None or not flags.flagged:
            reason = ""
        if (entry.attendance, entry.override_reason) == (value, reason):
            return entry
        entry.attendance, entry.override_reason = value, reason
        entry.save(update_fields=["attendance", "override_reason"])
        if reason:
            _log(
                [entry],
                by=by,
                action="registration.attendance.override",
                data=lambda e: {"flags": list(flags.reasons), "reason": reason},
            )
        else:
            _log(
                [entry],
                by=by,
                action="registration.attendance.marked",
                data=lambda e: {"attendance": value},
            )
        if value == Attendance.ATTENDED:
            _marked_attended([entry.pk], by=by, now=now)
    return entry


def _demote(
    entries: Iterable[Enrolment], *, by, now: datetime
) -> list[tuple[Enrolment, tuple[str, ...]]]:
    """Entries attended in full (without a reason to count in full) whose new times or Zoom
    report show part of the session missed become partial: the evidence no longer supports
    full attendance. Each is returned with what flags it. (A time left blank changes
    nothing: the coordinator decided without it.)"""
    demoted = []
    for entry in entries:
        if entry.attendance != Attendance.ATTENDED or entry.override_reason:
            continue
        flags = _flags(entry, now)
        if flags.shows_partial:
            entry.attendance = Attendance.PARTIAL
            demoted.append((entry, flags.reasons))
    Enrolment.objects.bulk_update([entry for entry, _reasons in demoted], ["attendance"])
    reasons = {entry.pk: flagged for entry, flagged in demoted}
    _log(
        [entry for entry, _reasons in demoted],
        by=by,
        action="registration.attendance.partial",
        data=lambda e: {"flags": list(reasons[e.pk])},
    )
    return demoted


def _marked_attended(enrolment_ids: list[int], *, by, now: datetime) -> None:
    """Tell the apps above (signals.attendance_marked): with the site setting "issue
    certificates when attendance is marked", certificates issues what each trainee has earned
    once the marking commits."""
    if enrolment_ids:
        signals.attendance_marked.send(
            sender=Enrolment, enrolment_ids=enrolment_ids, by=by, now=now
        )


# --------------------------------------------------------------------------------------
# Sign-in and sign-out
# --------------------------------------------------------------------------------------


def sign_times_problems(
    *,
    session: Session,
    signed_in_at: datetime | None,
    signed_out_at: datetime | None,
    now: datetime,
) -> dict[str, str]:
    """What is wrong with these sign-in and sign-out times, by field; empty when nothing is."""
    problems = {}
    if (signed_in_at or signed_out_at) and not _started(session, now):
        field = "signed_in_at" if signed_in_at else "signed_out_at"
        problems[field] = _("Sign-in times can't be recorded before the session starts.")
    if signed_in_at and signed_in_at > now:
        problems["signed_in_at"] = _("This time is in the future.")
    if signed_out_at and signed_out_at > now:
        problems["signed_out_at"] = _("This time is in the future.")
    if signed_in_at and signed_out_at and signed_out_at <= signed_in_at:
        problems["signed_out_at"] = _("Sign-out must come after sign-in.")
    return problems


def sign_times_set(
    *,
    enrolment_id: int,
    signed_in_at: datetime | None,
    signed_out_at: datetime | None,
    by,
    now: datetime,
) -> Enrolment:
    """Record a trainee's sign-in and sign-out, as the coordinator typed them. A trainee
    attended in full whom the new times flag becomes partial (refused while they hold a
    certificate), unless the coordinator gave a reason to count them in full."""
    with transaction.atomic():
        entry = roster_entries(now=now).select_for_update(of=("self",)).get(pk=enrolment_id)
        problems = sign_times_problems(
            session=entry.session, signed_in_at=signed_in_at, signed_out_at=signed_out_at, now=now
        ) or attendance_problems(
            entry=entry,
            attendance=entry.attendance,
            override_reason=entry.override_reason,
            signed_in_at=signed_in_at,
            signed_out_at=signed_out_at,
            now=now,
        )
        if problems:
            raise AttendanceError(" ".join(problems.values()))
        if (entry.signed_in_at, entry.signed_out_at) == (signed_in_at, signed_out_at):
            return entry
        entry.signed_in_at, entry.signed_out_at = signed_in_at, signed_out_at
        entry.save(update_fields=["signed_in_at", "signed_out_at"])
        _log(
            [entry],
            by=by,
            action="registration.attendance.times",
            data=lambda e: {
                "signed_in_at": when(signed_in_at),
                "signed_out_at": when(signed_out_at),
            },
        )
        _demote([entry], by=by, now=now)
    return entry


# --------------------------------------------------------------------------------------
# Zoom participant report
# --------------------------------------------------------------------------------------


class ZoomReportError(ValueError):
    """The file is not a Zoom participant report we can read."""


@dataclass(frozen=True)
class ZoomRow:
    """One connection of one participant (a reconnect is another row)."""

    line: int
    name: str
    email: str
    joined_at: datetime
    left_at: datetime


@dataclass(frozen=True)
class ImportResult:
    matched: int
    unmatched: list[str]
    not_in_report: int
    minimum_percent: int = 100
    short: list[tuple[str, int]] = field(default_factory=list)  # (name, % of the session)
    now_partial: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = ngettext("%(count)d matched", "%(count)d matched", self.matched) % {
            "count": self.matched
        }
        if self.unmatched:
            text += ", " + _("%(count)d not on the roster: %(who)s") % {
                "count": len(self.unmatched),
                "who": ", ".join(self.unmatched),
            }
        if self.not_in_report:
            text += "; " + ngettext(
                "%(count)d trainee on the roster is not in the report",
                "%(count)d trainees on the roster are not in the report",
                self.not_in_report,
            ) % {"count": self.not_in_report}
        if self.short:
            text += "; " + ngettext(
                "%(count)d connected for less than %(minimum)d%% of the session: %(who)s",
                "%(count)d connected for less than %(minimum)d%% of the session: %(who)s",
                len(self.short),
            ) % {
                "count": len(self.short),
                "minimum": self.minimum_percent,
                "who": ", ".join(f"{name} ({percent}%)" for name, percent in self.short),
            }
        if self.now_partial:
            text += "; " + ngettext(
                "%(count)d marked attended in full is now partial: %(who)s",
                "%(count)d marked attended in full are now partial: %(who)s",
                len(self.now_partial),
            ) % {"count": len(self.now_partial), "who": ", ".join(self.now_partial)}
        return text + "."


ZOOM_COLUMNS = {"email": "user email", "joined": "join time", "left": "leave time"}
ZOOM_NAME_COLUMNS = ("name (original name)", "name", "participant")
ZOOM_TIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)


def _zoom_time(value: str, *, line: int) -> datetime:
    text = " ".join(value.split())
    for pattern in ZOOM_TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=PACIFIC)
        except ValueError:
            continue
    raise ZoomReportError(
        _('Line %(line)d: "%(value)s" is not a date and time like 06/21/2027 08:58:12 AM.')
        % {"line": line, "value": value[:40]}
    )


def zoom_report_parse(data: bytes) -> list[ZoomRow]:
    """Read a Zoom meeting participant report (CSV), with or without the meeting summary
    above the participants. Times are read as Pacific time, as the report shows them."""
    if len(data) > ZOOM_REPORT_MAX_BYTES:
        raise ZoomReportError(_("The file is larger than 2 MB: is it a Zoom participant report?"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ZoomReportError(
            _("The file is not UTF-8 text: export the participant report from Zoom as CSV.")
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: dict[str, int] | None = None
    rows = []
    try:
        for cells in reader:
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if columns is None:
                heads = [cell.lower() for cell in cells]
                if all(name in heads for name in ZOOM_COLUMNS.values()):
                    columns = {key: heads.index(name) for key, name in ZOOM_COLUMNS.items()}
                    columns["name"] = next(
                        (heads.index(n) for n in ZOOM_NAME_COLUMNS if n in heads), -1
                    )
                continue
            line = reader.line_num
            if len(cells) <= max(columns.values()):
                raise ZoomReportError(
                    _("Line %(line)d has %(count)d columns, fewer than the header.")
                    % {"line": line, "count": len(cells)}
                )
            joined = _zoom_time(cells[columns["joined"]], line=line)
            left = _zoom_time(cells[columns["left"]], line=line)
            if left < joined:
                raise ZoomReportError(
                    _("Line %(line)d: the leave time is before the join time.") % {"line": line}
                )
            rows.append(
                ZoomRow(
                    line=line,
                    name=cells[columns["name"]] if columns["name"] >= 0 else "",
                    email=cells[columns["email"]].lower(),
                    joined_at=joined,
                    left_at=left,
                )
            )
    except csv.Error as error:
        raise ZoomReportError(
            _("Line %(line)d is not valid CSV: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from None
    if columns is None:
        raise ZoomReportError(
            _(
                "This is not a Zoom participant report: it needs the columns "
                '"User Email", "Join Time" and "Leave Time".'
            )
        )
    if not rows:
        raise ZoomReportError(_("The report lists no participants."))
    return rows


def zoom_report_import(
    *, session: Session, rows: Sequence[ZoomRow], by, now: datetime
) -> ImportResult:
    """Set each matched trainee's sign-in to their first join and sign-out to their last
    leave, and keep how long they were connected within the session. Trainees are matched
    by email, whatever its case; the rest is reported, and so is everyone connected for less
    than the offering's share of the session. A trainee attended in full whom the report
    flags becomes partial (refused as a whole while one of them holds a certificate)."""
    connections: dict[str, list[tuple[datetime, datetime]]] = {}
    unnamed = []
    for row in rows:
        if not row.email:
            unnamed.append(_("%(name)s (no email)") % {"name": row.name or _("line %d") % row.line})
            continue
        connections.setdefault(row.email, []).append((row.joined_at, row.left_at))
    with transaction.atomic():
        _check_markable(session, now)
        entries = list(
            roster_entries(now=now, session_id=session.pk).select_for_update(of=("self",))
        )
        by_email = {e.trainee.email.lower(): e for e in entries}
        matched = [
            (by_email[email], spans) for email, spans in connections.items() if email in by_email
        ]
        earliest = session.starts_at - ZOOM_REPORT_SLACK
        latest = (session.ends_at or session.starts_at) + ZOOM_REPORT_SLACK
        for _entry, spans in matched:
            joined = min(start for start, _end in spans)
            left = max(end for _start, end in spans)
            if not (earliest <= joined and left <= latest):
                raise AttendanceError(
                    _(
                        "The report's times (%(joined)s) are not on this session's date "
                        "(%(when)s): is it the report of this meeting?"
                    )
                    % {"joined": _pt(joined), "when": session.when}
                )
        for entry, spans in matched:
            entry.signed_in_at = min(joined for joined, _left in spans)
            entry.signed_out_at = min(max(left for _joined, left in spans), now)
            if session.ends_at is not None:
                entry.zoom_connected_minutes = zoom_connected_minutes(
                    spans, starts_at=session.starts_at, ends_at=min(session.ends_at, now)
                )
        certified = _certified(entry for entry, _spans in matched)
        flagged = {entry.pk: _flags(entry, now) for entry, _spans in matched}
        refused = [
            trainee_name(entry)
            for entry, _spans in matched
            if entry.pk in certified
            and entry.attendance == Attendance.ATTENDED
            and not entry.override_reason
            and flagged[entry.pk].shows_partial
        ]
        if refused:
            raise AttendanceError(
                _(
                    "Nothing was imported: the report makes the attendance of %(who)s partial, "
                    "and they hold a certificate for attending in full. Revoke it first."
                )
                % {"who": ", ".join(refused)}
            )
        Enrolment.objects.bulk_update(
            [entry for entry, _spans in matched],
            ["signed_in_at", "signed_out_at", "zoom_connected_minutes"],
        )
        _log(
            [entry for entry, _spans in matched],
            by=by,
            action="registration.attendance.zoom",
            data=lambda e: {
                "signed_in_at": when(e.signed_in_at),
                "signed_out_at": when(e.signed_out_at),
                "connected_minutes": e.zoom_connected_minutes or 0,
            },
        )
        demoted = _demote([entry for entry, _spans in matched], by=by, now=now)
    unmatched = sorted(email for email in connections if email not in by_email) + unnamed
    return ImportResult(
        matched=len(matched),
        unmatched=unmatched,
        not_in_report=len(entries) - len(matched),
        minimum_percent=session.offering.zoom_minimum_percent,
        short=[
            (trainee_name(entry), flagged[entry.pk].zoom_percent)
            for entry in entries
            if entry.pk in flagged and flagged[entry.pk].zoom_percent is not None
        ],
        now_partial=[trainee_name(entry) for entry, _reasons in demoted],
    )


# --------------------------------------------------------------------------------------
# CSV export and sign-in sheet
# --------------------------------------------------------------------------------------

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ROSTER_CSV_COLUMNS = (
    "Legal name",
    "Credentials",
    "Email",
    "Profession",
    "License number",
    "License state",
    "CE credit type",
    "Payment",
    "Order",
    "Signed in (PT)",
    "Signed out (PT)",
    "Attendance",
    "Late",
    "Left early",
    "Zoom connected (minutes)",
    "Flags",
    "Counted in full because",
)


def spreadsheet_safe(value: object) -> str:
    """A cell that a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_time(moment: datetime | None) -> str:
    return moment.astimezone(PACIFIC).strftime("%Y-%m-%d %H:%M") if moment else ""


def _csv_cells(row: RosterRow) -> list[str]:
    return [
        row.legal_name,
        row.credentials,
        row.email,
        row.profession,
        row.license_number,
        row.license_state,
        row.credit_type,
        row.payment,
        row.order_code,
        _csv_time(row.signed_in_at),
        _csv_time(row.signed_out_at),
        row.attendance,
        "yes" if row.late else "",
        "yes" if row.left_early else "",
        "" if row.zoom_connected_minutes is None else str(row.zoom_connected_minutes),
        "; ".join(row.flags),
        row.override_reason,
    ]


def _rows(session: Session, *, now: datetime, enrolment_ids) -> list[RosterRow]:
    return roster_rows(
        session=session,
        now=now,
        grace_minutes=SiteSettings.current().attendance_grace_minutes,
        enrolment_ids=enrolment_ids,
    )


def roster_csv(
    *, session: Session, now: datetime, enrolment_ids: Iterable[int] | None = None
) -> bytes:
    """The roster as CSV for Excel: UTF-8 with a byte-order mark, every cell formula-safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(h) for h in ROSTER_CSV_COLUMNS])
    for row in _rows(session, now=now, enrolment_ids=enrolment_ids):
        writer.writerow([spreadsheet_safe(cell) for cell in _csv_cells(row)])
    return out.getvalue().encode("utf-8-sig")


def sign_in_sheet_pdf(
    *, session: Session, now: datetime, enrolment_ids: Iterable[int] | None = None
) -> bytes:
    """A printable sign-in sheet: one row per trainee, with signature and time columns for
    sign-in and sign-out (letter, portrait)."""
    html = render_to_string(
        "registration/pdf/sign_in_sheet.html",
        {
            "session": session,
            "rows": _rows(session, now=now, enrolment_ids=enrolment_ids),
            "site": SiteSettings.current(),
            "printed_at": now.astimezone(PACIFIC),
            "fonts": {
                "regular": static_file_uri("fonts/DejaVuSans.ttf"),
                "bold": static_file_uri("fonts/DejaVuSans-Bold.ttf"),
            },
        },
    )
    return render_pdf(html, base_url=static_base_url())


def zoom_import_offered(session: Session) -> bool:
    """Whether the session meets on Zoom, so a participant report exists."""
    return session.offering.delivery in (Offering.Delivery.ZOOM, Offering.Delivery.HYBRID)


# --------------------------------------------------------------------------------------
# A message to everyone on the roster
# --------------------------------------------------------------------------------------


def roster_email_queue(
    *,
    session_id: int,
    enrolment_ids: Iterable[int],
    subject: str,
    message: str,
    token: str,
    by,
    now: datetime,
) -> int:
    """Record the coordinator's message to the chosen trainees, one outbox email each, sent
    once this commits; the number of trainees it goes to.

    `token` comes with the form: the same form sent twice records the message once.
    """
    subject, message = " ".join(subject.split()), message.strip()
    if not subject or not message:
        raise AttendanceError(_("Write a subject and a message."))
    if not token:
        raise AttendanceError(_("The form expired: open “Email the roster” again."))
    with transaction.atomic():
        written, created = RosterMessage.objects.get_or_create(
            token=token,
            defaults={
                "session_id": session_id,
                "subject": subject,
                "message": message,
                "sent_by": by,
            },
        )
        if not created:
            return written.emails.count()
        recipients = list(
            roster_entries(now=now, session_id=session_id)
            .filter(pk__in=list(enrolment_ids))
            .exclude(trainee__email="")
            .select_related("trainee")
        )
        emails_queue(
            OutboundEmail(
                kind="roster_message",
                key=f"roster_message:{written.pk}:{entry.pk}",
                to=entry.trainee.email,
                roster_message=written,
                enrolment=entry,
            )
            for entry in recipients
        )
    return len(recipients)
