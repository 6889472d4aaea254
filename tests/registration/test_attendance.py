"""The attendance services on their own: late / early flags, spreadsheet-safe cells, reading
Zoom reports, refusals that change nothing, the roster message, and the PDF fetcher that
loads only our static files."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from polaris.pdf import RefusedURL, StaticFilesFetcher, render_pdf, static_file_uri
from registration.evidence import zoom_connected_minutes
from registration.models import Enrolment, OutboundEmail
from registration.selectors import attendance_flags
from registration.services import attendance
from tests.factories import PACIFIC, CertificateFactory
from tests.roster import at, on_roster

pytestmark = pytest.mark.usefixtures("catalog")


START = datetime(2027, 6, 21, 9, 0, tzinfo=PACIFIC)
END = datetime(2027, 6, 21, 17, 0, tzinfo=PACIFIC)


@pytest.mark.parametrize(
    "signed_in, signed_out, late, left_early",
    [
        (START + timedelta(minutes=10), END - timedelta(minutes=10), False, False),
        (START + timedelta(minutes=11), END, True, False),
        (START, END - timedelta(minutes=11), False, True),
        (START - timedelta(minutes=30), END + timedelta(minutes=30), False, False),
        (None, None, False, False),
        (START + timedelta(hours=1), None, True, False),
    ],
)
def test_flags_allow_the_grace_either_side(signed_in, signed_out, late, left_early):
    flags = attendance_flags(
        signed_in_at=signed_in,
        signed_out_at=signed_out,
        starts_at=START,
        ends_at=END,
        grace_minutes=10,
    )
    assert (flags.late, flags.left_early) == (late, left_early)


NOW = END + timedelta(hours=1)


@pytest.mark.parametrize(
    "signed_in, signed_out, now, reasons",
    [
        (None, None, NOW, ["no sign-in or sign-out recorded"]),
        (START, None, NOW, ["no sign-out recorded"]),
        (None, END, NOW, ["no sign-in recorded"]),
        (None, None, START - timedelta(minutes=1), []),  # nothing is missing before the start
        (START, END, NOW, []),
        (
            START + timedelta(minutes=25),
            END - timedelta(minutes=90),
            NOW,
            [
                "arrived late at 9:25 AM (session starts 9:00 AM)",
                "left early at 3:30 PM (session ends 5:00 PM)",
            ],
        ),
        (
            START,
            END + timedelta(days=1),
            NOW,
            [],
        ),
    ],
)
def test_every_session_needs_a_sign_in_and_a_sign_out_once_started(
    signed_in, signed_out, now, reasons
):
    flags = attendance_flags(
        signed_in_at=signed_in,
        signed_out_at=signed_out,
        starts_at=START,
        ends_at=END,
        grace_minutes=10,
        now=now,
    )
    assert list(flags.reasons) == reasons
    assert flags.flagged == bool(reasons)


@pytest.mark.parametrize(
    "connected, minimum, reason",
    [
        (456, 95, None),  # 95% of 8 hours exactly
        (455, 95, "connected 7 h 35 min of 8 h on Zoom (94%; full attendance needs 95%)"),
        (240, 50, None),
        (45, 95, "connected 45 min of 8 h on Zoom (9%; full attendance needs 95%)"),
        (None, 95, None),  # no report: the times alone decide
    ],
)
def test_a_zoom_report_under_the_offerings_share_of_the_session_is_flagged(
    connected, minimum, reason
):
    flags = attendance_flags(
        signed_in_at=START,
        signed_out_at=END,
        starts_at=START,
        ends_at=END,
        grace_minutes=10,
        zoom_connected_minutes=connected,
        zoom_minimum_percent=minimum,
        now=NOW,
    )
    assert list(flags.reasons) == ([reason] if reason else [])


def test_connected_minutes_count_overlaps_once_and_only_within_the_session():
    minutes = zoom_connected_minutes(
        [
            (START - timedelta(minutes=30), START + timedelta(hours=2)),  # 2 h in the session
            (START + timedelta(hours=1), START + timedelta(hours=3)),  # 1 h more (overlap)
            (START + timedelta(hours=4), START + timedelta(hours=4, minutes=30, seconds=59)),
            (END + timedelta(minutes=5), END + timedelta(hours=1)),  # after the end
        ],
        starts_at=START,
        ends_at=END,
    )
    assert minutes == 3 * 60 + 30


@pytest.mark.parametrize(
    "value, shown",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Dana Cho", "Dana Cho"),
        ("A-1", "A-1"),
        ("", ""),
        (None, ""),
    ],
)
def test_spreadsheet_cells_never_start_a_formula(value, shown):
    assert attendance.spreadsheet_safe(value) == shown


def test_zoom_times_are_read_in_pacific_time_in_the_formats_zoom_writes():
    rows = attendance.zoom_report_parse(
        "\ufeffName (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
        "A,A@X.ORG,06/21/2027 08:58:12 AM,06/21/2027 05:02:30 PM,484\n"
        "B,b@x.org,06/21/2027 09:05 AM,06/21/2027 16:55,470\n"
        "C,c@x.org,2027-06-21 09:00:00,2027-06-21 17:00:00,480\n".encode()
    )
    assert [(r.line, r.email, r.joined_at, r.left_at) for r in rows] == [
        (2, "a@x.org", at(8, 58, 12), at(17, 2, 30)),
        (3, "b@x.org", at(9, 5), at(16, 55)),
        (4, "c@x.org", at(9), at(17)),
    ]


def test_a_zoom_row_leaving_before_it_joined_is_refused():
    with pytest.raises(attendance.ZoomReportError, match="Line 2: the leave time is before"):
        attendance.zoom_report_parse(
            b"User Email,Join Time,Leave Time\na@x.org,06/21/2027 05:00 PM,06/21/2027 09:00 AM\n"
        )


def test_marking_absent_is_refused_for_a_trainee_with_a_certificate(
    after_session, admin_user, session, roster
):
    certified = roster["cho"]
    CertificateFactory(enrolment=certified, issued_at=timezone.now())
    ids = [e.pk for e in on_roster(roster)]
    for value in ("absent", "partial"):
        with pytest.raises(
            attendance.AttendanceError, match=f"already has a certificate.*marking them {value}"
        ):
            attendance.attendance_mark(
                enrolment_ids=ids, attendance=value, by=admin_user, now=timezone.now()
            )
    assert not Enrolment.objects.exclude(attendance="unmarked").exists()
    Enrolment.objects.filter(pk__in=ids).update(signed_in_at=at(9), signed_out_at=at(17))
    marked = attendance.attendance_mark(
        enrolment_ids=ids, attendance="attended", by=admin_user, now=timezone.now()
    )
    assert (marked.count, marked.left_out) == (4, [])


def test_attendance_ignores_entries_that_hold_no_seat(after_session, admin_user, session, roster):
    Enrolment.objects.update(signed_in_at=at(9), signed_out_at=at(17))
    marked = attendance.attendance_mark(
        enrolment_ids=[roster["cancelled"].pk, roster["cho"].pk],
        attendance="attended",
        by=admin_user,
        now=timezone.now(),
    )
    assert marked.count == 1
    assert Enrolment.objects.get(pk=roster["cancelled"].pk).attendance == "unmarked"


def test_sign_times_service_refuses_what_the_form_refuses(
    after_session, admin_user, session, roster
):
    with pytest.raises(attendance.AttendanceError, match="Sign-out must come after sign-in"):
        attendance.sign_times_set(
            enrolment_id=roster["cho"].pk,
            signed_in_at=at(10),
            signed_out_at=at(9),
            by=admin_user,
            now=timezone.now(),
        )
    with pytest.raises(attendance.AttendanceError, match="in the future"):
        attendance.sign_times_set(
            enrolment_id=roster["cho"].pk,
            signed_in_at=at(10),
            signed_out_at=at(23),
            by=admin_user,
            now=timezone.now(),
        )
    assert Enrolment.objects.get(pk=roster["cho"].pk).signed_in_at is None


def test_a_roster_message_sent_twice_from_the_same_form_is_sent_once(
    after_session, session, roster, admin_user, django_capture_on_commit_callbacks
):
    ids = [e.pk for e in on_roster(roster)]
    message = {"subject": "S", "message": "M", "token": "form-1", "by": admin_user}
    with django_capture_on_commit_callbacks(execute=True):
        sent = attendance.roster_email_queue(
            session_id=session.pk, enrolment_ids=ids, now=timezone.now(), **message
        )
    with django_capture_on_commit_callbacks(execute=True):
        again = attendance.roster_email_queue(
            session_id=session.pk, enrolment_ids=ids, now=timezone.now(), **message
        )
    assert (sent, again) == (4, 4)  # the same answer, and no second email
    assert len(mail.outbox) == 4
    assert OutboundEmail.objects.filter(kind="roster_message").count() == 4


def test_a_roster_message_without_its_forms_token_is_refused(after_session, session, roster):
    with pytest.raises(attendance.AttendanceError, match="open “Email the roster” again"):
        attendance.roster_email_queue(
            session_id=session.pk,
            enrolment_ids=[roster["cho"].pk],
            subject="S",
            message="M",
            token="",
            by=None,
            now=timezone.now(),
        )
    assert not OutboundEmail.objects.exists()


def test_pdfs_load_our_static_files_and_nothing_else(tmp_path, settings):
    fetcher = StaticFilesFetcher()
    font = fetcher.fetch(static_file_uri("fonts/DejaVuSans.ttf"))
    assert font.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for url in (
        outside.as_uri(),
        "file:///etc/passwd",
        static_file_uri("fonts/DejaVuSans.ttf").replace("/fonts/", "/fonts/../../pyproject.toml#"),
        "http://127.0.0.1:9/x.css",
        "https://example.com/logo.png",
        "ftp://example.com/x",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_a_pdf_with_a_foreign_url_still_renders_without_it(tmp_path):
    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red }")
    html = (
        f'<html><head><link rel="stylesheet" href="{outside.as_uri()}"></head>'
        '<body><img src="http://127.0.0.1:9/x.png"><p>Hello</p></body></html>'
    )
    pdf = render_pdf(html, base_url=static_file_uri("fonts/LICENSE"))
    assert pdf.startswith(b"%PDF-")
