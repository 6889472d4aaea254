"""Importing a Zoom participant report into a roster: join and leave times become sign-in
and sign-out, people not on the roster are reported, and a bad file changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import LogEntry
from registration.models import Enrolment
from tests.admin_pages import rows, shown_messages
from tests.roster import at, enrol, roster_url, trainee

from .flows import text

pytestmark = pytest.mark.usefixtures("catalog")

# The roster tests' fixtures: Module 1 on Jun 21, 2027, its roster, the evening after.

HEADER = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,In Waiting Room\n"
MEETING_SUMMARY = (
    "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\n"
    '812 3456 7890,"Module 1: Foundations",06/21/2027 08:50:02 AM,06/21/2027 05:05:10 PM,'
    "host@polaris.example,495,5\n"
    "\n"
)


def zoom_url(session) -> str:
    return reverse("admin:registration_rosterentry_zoom", args=[session.pk])


def upload(client, session, content: bytes | str, name: str = "participants.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        zoom_url(session),
        {"report": SimpleUploadedFile(name, data, content_type="text/csv")},
        follow=True,
    )


def report(roster, *, summary: bool = False) -> str:
    cho = roster["cho"].trainee.email.upper()  # Zoom keeps whatever case people typed
    abara = roster["abara"].trainee.email
    return (
        (MEETING_SUMMARY if summary else "")
        + HEADER
        + f"Dana Cho,{cho},06/21/2027 08:58:12 AM,06/21/2027 12:01:40 PM,184,No,No\n"
        + f"Dana (iPad),{cho},06/21/2027 12:04:05 PM,06/21/2027 05:02:30 PM,299,No,No\n"
        + f"Ada Abara,{abara},06/21/2027 09:31:00 AM,06/21/2027 03:45:00 PM,374,No,No\n"
        + "Someone Else,stranger@example.com,06/21/2027 09:00:00 AM,06/21/2027 10:00:00 AM,60,Yes,No\n"
        + "Dial-in caller,,06/21/2027 09:02:00 AM,06/21/2027 09:30:00 AM,28,Yes,No\n"
    )


def sign_times(roster, key):
    entry = Enrolment.objects.get(pk=roster[key].pk)
    return entry.signed_in_at, entry.signed_out_at


@pytest.mark.parametrize("summary", [False, True], ids=["participants only", "with meeting data"])
def test_zoom_report_sets_sign_in_and_out_and_reports_who_is_not_on_the_roster(
    after_session, admin_client, session, roster, summary
):
    response = upload(admin_client, session, report(roster, summary=summary))
    assert response.redirect_chain[-1][0] == roster_url(session)
    assert shown_messages(response) == [
        "2 matched, 2 not on the roster: stranger@example.com, Dial-in caller (no email); "
        "2 trainees on the roster are not in the report; 1 connected for less than 95% of the "
        "session: Ada Abara (77%)."
    ]
    # Earliest join and latest leave across reconnects, read as Pacific time.
    assert sign_times(roster, "cho") == (at(8, 58, 12), at(17, 2, 30))
    assert sign_times(roster, "abara") == (at(9, 31), at(15, 45))
    assert sign_times(roster, "bell") == (None, None)
    abara = next(row for row in rows(response) if row.startswith("Ada Abara"))
    assert "late" in abara and "left early" in abara and "Zoom 77%" in abara
    cho = Enrolment.objects.get(pk=roster["cho"].pk)
    assert cho.zoom_connected_minutes == 477  # 9:00 – 12:01:40 and 12:04:05 – 5:00 PM
    assert Enrolment.objects.get(pk=roster["abara"].pk).zoom_connected_minutes == 374
    imported = LogEntry.objects.filter(action="registration.attendance.zoom")
    assert imported.count() == 2
    assert "imported from Zoom" in imported[0].text
    assert not Enrolment.objects.exclude(attendance="unmarked").exists()  # the coordinator decides


def test_the_roster_page_links_to_the_zoom_import(after_session, admin_client, session, roster):
    page = admin_client.get(roster_url(session)).content.decode()
    assert f'href="{zoom_url(session)}"' in page and "Import Zoom attendance" in page
    form = admin_client.get(zoom_url(session))
    assert form.status_code == 200 and 'type="file"' in form.content.decode()


BAD_FILES = {
    "wrong columns": (
        b"First name,Last name,Email\nDana,Cho,dana@example.com\n",
        'needs the columns "User Email", "Join Time" and "Leave Time"',
    ),
    "unparseable date": (
        (HEADER + "Dana Cho,dana@example.com,21/06/2027 8h58,06/21/2027 05:02:30 PM,1,No,No\n").encode(),
        'Line 2: "21/06/2027 8h58" is not a date and time like 06/21/2027 08:58:12 AM.',
    ),
    "not UTF-8": (
        (HEADER + "José Núñez,jose@example.com,06/21/2027 08:58:12 AM,06/21/2027 05:02:30 PM,1,No,No\n").encode("utf-16"),
        "The file is not UTF-8 text",
    ),
    "too large": (
        (HEADER + "x" * (2 * 1024 * 1024)).encode(),
        "The file is larger than 2 MB",
    ),
    "short row": (
        (HEADER + "Dana Cho,dana@example.com\n").encode(),
        "Line 2 has 2 columns, fewer than the header.",
    ),
    "no participants": (HEADER.encode(), "The report lists no participants."),
}  # fmt: skip


@pytest.mark.parametrize("content, error", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_refused_next_to_the_field_and_changes_nothing(
    after_session, admin_client, session, roster, content, error
):
    Enrolment.objects.filter(pk=roster["cho"].pk).update(signed_in_at=at(9), signed_out_at=at(17))
    response = upload(admin_client, session, content)
    assert response.status_code == 200
    assert not response.redirect_chain
    page = response.content.decode()
    field_row = page.split('id="report-row"', 1)[1].split("</fieldset>", 1)[0]
    assert error in text(field_row)
    assert "Nothing was imported" in text(response)
    assert sign_times(roster, "cho") == (at(9), at(17))
    assert not Enrolment.objects.exclude(pk=roster["cho"].pk).filter(signed_in_at__isnull=False)
    assert not LogEntry.objects.filter(action__startswith="registration.attendance.").exists()


def test_a_report_of_another_day_is_refused(after_session, admin_client, session, roster):
    other_day = report(roster).replace("06/21/2027", "06/14/2027")
    response = upload(admin_client, session, other_day)
    assert "are not on this session's date" in text(response)
    assert sign_times(roster, "cho") == (None, None)


def test_a_report_is_refused_before_the_session(before_season, admin_client, session, roster):
    response = upload(admin_client, session, report(roster))
    assert "Attendance can't be marked on a future session." in text(response)
    assert sign_times(roster, "cho") == (None, None)


def test_zoom_matches_only_trainees_holding_a_seat(after_session, admin_client, session):
    gone = enrol(session, trainee("Carl Gone", email="carl@example.com"), status="cancelled")
    content = HEADER + "Carl,carl@example.com,06/21/2027 09:00 AM,06/21/2027 05:00 PM,480,No,No\n"
    response = upload(admin_client, session, content)
    assert shown_messages(response) == ["0 matched, 1 not on the roster: carl@example.com."]
    assert Enrolment.objects.get(pk=gone.pk).signed_in_at is None
