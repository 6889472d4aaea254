"""A session's roster in Django admin: who is on it and how they paid, sign-in and sign-out
edited inline, late / early flags, and the bulk actions (attendance, CSV, sign-in sheet,
email), each reporting what it did and refusing bad input without changing anything."""

import csv
import io
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from audit.models import LogEntry
from audit.services import log_entries
from catalog.models import CreditType, Session, SiteSettings
from registration.models import Enrolment
from tests.admin_pages import rows, shown_messages
from tests.factories import StaffFactory, login_staff
from tests.roster import (
    at,
    enrol,
    grow_roster,
    inline_form,
    on_roster,
    roster_url,
    run_action,
    trainee,
)

from .flows import text

pytestmark = pytest.mark.usefixtures("catalog")

# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


def test_roster_lists_seat_holders_by_legal_name_with_license_credit_and_payment(
    before_season, admin_client, session, roster
):
    response = admin_client.get(roster_url(session))
    assert response.status_code == 200
    page = text(response)
    assert "Roster: Module 1" in page and "Mon, Jun 21, 2027" in page
    shown = rows(response)
    assert [row.split(" ")[0:2] for row in shown] == [
        ["Ada", "Abara,"],
        ["Ben", "Bell,"],
        ["Dana", "Cho,"],
        ["Eva", "Diaz,"],
    ]
    abara, bell, cho, diaz = shown
    assert "RN RN 95001 · CA" in abara and "BRN" in abara and "Paid · Card (Stripe)" in abara
    assert "Complimentary" in bell and "Attendance only" in bell
    assert "Dana Cho, PhD" in cho and "Psychologist PSY 31415 · CA" in cho and "APA" in cho
    assert "Unpaid (held until" in diaz and "invoice or check" in diaz
    assert "Carl Gone" not in page and "Fay Later" not in page


def test_roster_without_a_session_asks_to_pick_one(before_season, admin_client, session, roster):
    response = admin_client.get(reverse("admin:registration_rosterentry_changelist"))
    assert response.status_code == 200
    assert "pick the session from the sessions list" in text(response)
    page = response.content.decode()
    link = page.index(f'href="{roster_url(session)}"')
    assert "Module 1: Introductory Workshop" in text(page[link:])
    assert text(page[link:]).split("PT ", 1)[1].startswith("4 / 40")  # seats held count too


def test_an_unknown_session_is_said_so(before_season, admin_client):
    response = admin_client.get(
        reverse("admin:registration_rosterentry_changelist") + "?session__id__exact=999999"
    )
    assert shown_messages(response) == ["That session does not exist."]


def test_an_entry_has_no_form_of_its_own_but_leads_to_its_roster(
    before_season, admin_client, session, roster
):
    url = reverse("admin:registration_rosterentry_change", args=[roster["cho"].pk])
    response = admin_client.get(url)
    assert response.status_code == 302 and response.url == roster_url(session)
    assert admin_client.get(reverse("admin:registration_rosterentry_add")).status_code == 403


def test_late_arrivals_and_early_departures_are_flagged(
    after_session, admin_client, session, roster
):
    Enrolment.objects.filter(pk=roster["abara"].pk).update(
        signed_in_at=at(9, 25), signed_out_at=at(17)
    )
    Enrolment.objects.filter(pk=roster["bell"].pk).update(
        signed_in_at=at(9, 5), signed_out_at=at(15, 30)
    )
    Enrolment.objects.filter(pk=roster["cho"].pk).update(
        signed_in_at=at(8, 55), signed_out_at=at(16, 52)
    )
    abara, bell, cho, diaz = rows(admin_client.get(roster_url(session)))
    assert abara.endswith("late") and "left early" not in abara
    assert bell.endswith("left early") and "late" not in bell.replace("left early", "")
    assert "late" not in cho and "left early" not in cho  # within the 10-minute grace
    assert "late" not in diaz

    settings = SiteSettings.objects.get()
    settings.attendance_grace_minutes = 30
    settings.save()
    cache.delete(SiteSettings.CACHE_KEY)
    abara, *_ = rows(admin_client.get(roster_url(session)))
    assert "late" not in abara


# --------------------------------------------------------------------------------------
# Sign-in and sign-out, inline
# --------------------------------------------------------------------------------------


def test_sign_in_and_out_are_saved_inline_in_pacific_time(
    after_session, admin_client, session, roster
):
    data, row = inline_form(admin_client, session, roster["cho"])
    data.update(
        {
            f"{row}-signed_in_at_0": "2027-06-21",
            f"{row}-signed_in_at_1": "09:20:00",
            f"{row}-signed_out_at_0": "2027-06-21",
            f"{row}-signed_out_at_1": "17:01:00",
            "_save": "Save",
        }
    )
    response = admin_client.post(roster_url(session), data, follow=True)
    assert response.status_code == 200
    entry = Enrolment.objects.get(pk=roster["cho"].pk)
    assert entry.signed_in_at == at(9, 20) and entry.signed_out_at == at(17, 1)
    assert "late" in next(r for r in rows(response) if r.startswith("Dana Cho"))
    event = log_entries(entry.order_line.order).last()
    assert event.action == "registration.attendance.times" and "9:20 AM" in event.text
    others = Enrolment.objects.exclude(pk=entry.pk).filter(signed_in_at__isnull=False)
    assert not others.exists()


def test_a_sign_out_before_the_sign_in_is_refused_inline(
    after_session, admin_client, session, roster
):
    data, row = inline_form(admin_client, session, roster["cho"])
    data.update(
        {
            f"{row}-signed_in_at_0": "2027-06-21",
            f"{row}-signed_in_at_1": "09:00:00",
            f"{row}-signed_out_at_0": "2027-06-21",
            f"{row}-signed_out_at_1": "08:00:00",
            "_save": "Save",
        }
    )
    response = admin_client.post(roster_url(session), data)
    assert response.status_code == 200
    assert "Sign-out must come after sign-in." in text(response)
    assert not Enrolment.objects.filter(signed_in_at__isnull=False).exists()


def test_sign_in_times_are_refused_before_the_session(before_season, admin_client, session, roster):
    data, row = inline_form(admin_client, session, roster["cho"])
    data.update({f"{row}-signed_in_at_0": "2027-01-15", f"{row}-signed_in_at_1": "09:00:00"})
    response = admin_client.post(roster_url(session), {**data, "_save": "Save"})
    assert "can't be recorded before the session starts" in text(response)
    assert not Enrolment.objects.filter(signed_in_at__isnull=False).exists()


# --------------------------------------------------------------------------------------
# Attendance
# --------------------------------------------------------------------------------------


def test_mark_attended_reports_how_many_and_logs_who(
    after_session, admin_client, admin_user, session, roster
):
    chosen = [roster["abara"], roster["bell"], roster["cho"]]
    Enrolment.objects.filter(pk__in=[e.pk for e in chosen]).update(
        signed_in_at=at(8, 55), signed_out_at=at(17)
    )
    response = run_action(admin_client, session, "mark_attended", *chosen)
    assert shown_messages(response) == ["3 trainees marked attended in full."]
    assert dict(Enrolment.objects.values_list("pk", "attendance").filter(session=session)) == {
        roster["abara"].pk: "attended",
        roster["bell"].pk: "attended",
        roster["cho"].pk: "attended",
        roster["diaz"].pk: "unmarked",
        roster["cancelled"].pk: "unmarked",
    }
    event = log_entries(roster["cho"].order_line.order).last()
    assert (event.action, event.actor) == ("registration.attendance.marked", admin_user)
    assert event.text.startswith("Marked attended in full for Module 1")

    response = run_action(admin_client, session, "mark_absent", roster["bell"])
    assert shown_messages(response) == ["1 trainee marked absent."]
    assert Enrolment.objects.get(pk=roster["bell"].pk).attendance == "absent"
    assert "Absent" in next(r for r in rows(response) if r.startswith("Ben Bell"))


def test_attendance_is_refused_on_a_future_session(before_season, admin_client, session, roster):
    response = run_action(admin_client, session, "mark_attended", *on_roster(roster))
    assert shown_messages(response) == ["Attendance can't be marked on a future session."]
    assert not Enrolment.objects.exclude(attendance="unmarked").exists()
    assert not LogEntry.objects.filter(action__startswith="registration.attendance.").exists()


def test_attendance_can_be_marked_across_the_whole_roster(
    after_session, admin_client, session, roster
):
    Enrolment.objects.filter(session=session).update(signed_in_at=at(9), signed_out_at=at(17))
    response = admin_client.post(
        roster_url(session),
        {"action": "mark_attended", "index": 0, "select_across": 1, ACTION_CHECKBOX_NAME: [0]},
        follow=True,
    )
    assert shown_messages(response) == ["4 trainees marked attended in full."]
    assert roster["elsewhere"].__class__.objects.get(pk=roster["elsewhere"].pk).attendance == (
        "unmarked"
    )


# --------------------------------------------------------------------------------------
# CSV export
# --------------------------------------------------------------------------------------


def exported(client, session, *entries) -> list[list[str]]:
    response = run_action(client, session, "export_csv", *entries)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="roster-module-1-')
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export_has_every_roster_column(after_session, admin_client, session, roster):
    Enrolment.objects.filter(pk=roster["abara"].pk).update(
        signed_in_at=at(9, 25), signed_out_at=at(16, 30), attendance="attended"
    )
    header, *lines = exported(admin_client, session, *on_roster(roster))
    assert header == [
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
    ]
    assert [line[0] for line in lines] == ["Ada Abara", "Ben Bell", "Dana Cho", "Eva Diaz"]
    abara = dict(zip(header, lines[0], strict=True))
    assert abara == {
        "Legal name": "Ada Abara",
        "Credentials": "RN",
        "Email": roster["abara"].trainee.email,
        "Profession": "Registered Nurse (RN)",
        "License number": "RN 95001",
        "License state": "CA",
        "CE credit type": CreditType.objects.get(code="brn").name,
        "Payment": "Paid · Card (Stripe)",
        "Order": roster["abara"].order_line.order.code,
        "Signed in (PT)": "2027-06-21 09:25",
        "Signed out (PT)": "2027-06-21 16:30",
        "Attendance": "Attended in full",
        "Late": "yes",
        "Left early": "yes",
        "Zoom connected (minutes)": "",
        "Flags": "arrived late at 9:25 AM (session starts 9:00 AM); "
        "left early at 4:30 PM (session ends 5:00 PM)",
        "Counted in full because": "",
    }


def test_csv_export_cannot_smuggle_formulas_into_a_spreadsheet(
    before_season, admin_client, session
):
    entries = [
        enrol(session, trainee('=HYPERLINK("http://x")', credentials="+1", license_number="-1")),
        enrol(session, trainee("@SUM(A1:A9)", credentials="\tTab", license_number="\r1")),
        enrol(session, trainee("Plain Name", credentials="PhD", license_number="A-1")),
    ]
    header, *lines = exported(admin_client, session, *entries)
    by_name = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
    hyperlink = by_name['\'=HYPERLINK("http://x")']
    assert hyperlink["Credentials"] == "'+1" and hyperlink["License number"] == "'-1"
    at_sum = by_name["'@SUM(A1:A9)"]
    assert at_sum["Credentials"] == "'\tTab" and at_sum["License number"] == "'\r1"
    plain = by_name["Plain Name"]
    assert plain["Credentials"] == "PhD" and plain["License number"] == "A-1"
    for line in lines:
        for cell in line:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


# --------------------------------------------------------------------------------------
# Sign-in sheet
# --------------------------------------------------------------------------------------


def printed_sheet(client, session: Session, *entries, **data):
    """The sign-in sheet as the coordinator gets it: the action, the sheet's page once the
    worker (inline here, after the request commits) has rendered it, then its download."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        page = run_action(client, session, "sign_in_sheet", *entries, **data)
    assert "Preparing the sign-in sheet" in text(page)
    page = client.get(page.redirect_chain[-1][0])
    assert "is ready" in text(page)
    download = re.search(r'id="sign-in-sheet-download" href="([^"]+)"', page.content.decode())
    return client.get(download.group(1))


def test_sign_in_sheet_is_a_letter_pdf_with_every_trainee(
    before_season, admin_client, session, roster
):
    response = printed_sheet(admin_client, session, *on_roster(roster))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="sign-in-sheet-')
    assert response.content.startswith(b"%PDF-")
    pdf = PdfReader(io.BytesIO(response.content))
    page = pdf.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
    content = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert "Module 1" in content and session.offering.title in content
    assert "Mon, Jun 21, 2027" in content
    for name in ("Ada Abara", "Ben Bell", "Dana Cho, PhD", "Eva Diaz"):
        assert name in content
    for column in ("Signature in", "Time in", "Signature out", "Time out"):
        assert column in content
    assert "PSY 31415" in content
    fonts = {
        str(font.get_object()["/BaseFont"])
        for p in pdf.pages
        for font in p["/Resources"]["/Font"].values()
    }
    # Subsets of the @font-face fonts shipped in static/fonts, not a system fallback.
    assert {font.split("+")[1] for font in fonts} == {"Sheet-Sans", "Sheet-Sans-Bold"}, fonts


def test_sign_in_sheet_spans_pages_for_a_large_roster(before_season, admin_client, session):
    entries = [enrol(session, trainee(f"Trainee Number{n:02d}")) for n in range(45)]
    response = printed_sheet(admin_client, session, *entries)
    pdf = PdfReader(io.BytesIO(response.content))
    assert len(pdf.pages) >= 2
    content = " ".join(p.extract_text() for p in pdf.pages)
    assert all(f"Trainee Number{n:02d}" in content for n in range(45))


# --------------------------------------------------------------------------------------
# Email the roster
# --------------------------------------------------------------------------------------


def test_email_the_roster_sends_one_email_per_trainee_after_commit(
    before_season, admin_client, session, roster, django_capture_on_commit_callbacks
):
    chosen = on_roster(roster)
    form = run_action(admin_client, session, "email_roster", *chosen)
    assert form.status_code == 200
    assert "The message goes to 4 trainees" in text(form)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', form.content.decode())[1]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            roster_url(session),
            {
                "action": "email_roster",
                ACTION_CHECKBOX_NAME: [e.pk for e in chosen],
                "subject": "Zoom link for Monday",
                "message": "Please join ten minutes early.",
                "token": token,
                "send": "Send",
            },
            follow=True,
        )
    assert shown_messages(response) == ["Message queued for 4 trainees."]
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.trainee.email for e in chosen)
    for message in mail.outbox:
        assert message.subject == "Zoom link for Monday"
        assert "Please join ten minutes early." in message.body
    to_cho = next(m for m in mail.outbox if m.to == [roster["cho"].trainee.email])
    assert to_cho.body.startswith("Hello Dana Cho,")
    assert "Module 1" in to_cho.body


def test_email_the_roster_needs_a_subject_and_a_message(
    before_season, admin_client, session, roster, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            roster_url(session),
            {
                "action": "email_roster",
                ACTION_CHECKBOX_NAME: [roster["cho"].pk],
                "subject": "",
                "message": "Hello",
                "send": "Send",
            },
        )
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert mail.outbox == []


# --------------------------------------------------------------------------------------
# Permissions and query count
# --------------------------------------------------------------------------------------


def test_view_only_staff_can_export_but_not_mark(after_session, client, session, roster):
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_rosterentry"))
    login_staff(client, staff)
    page = client.get(roster_url(session))
    assert page.status_code == 200
    assert 'value="export_csv"' in page.content.decode()
    assert 'value="mark_attended"' not in page.content.decode()
    assert 'name="form-0-signed_in_at_0"' not in page.content.decode()
    response = run_action(client, session, "mark_attended", roster["cho"])
    assert Enrolment.objects.get(pk=roster["cho"].pk).attendance == "unmarked"
    assert response.status_code == 200


def test_staff_without_permission_cannot_see_a_roster(before_season, client, session, roster):
    login_staff(client, StaffFactory())
    assert client.get(roster_url(session)).status_code == 403
    zoom = reverse("admin:registration_rosterentry_zoom", args=[session.pk])
    assert client.get(zoom).status_code == 403


def roster_queries(client, url: str) -> tuple[int, int]:
    """Queries for one visit to the roster page, and the rows it showed."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context), len(rows(response))


@pytest.mark.parametrize("show_all", [False, True])
def test_roster_query_count_does_not_grow_with_enrolments(
    after_session, admin_client, session, show_all
):
    url = roster_url(session) + ("&all=" if show_all else "")
    grow_roster(session, 50)
    roster_queries(admin_client, url)  # the site settings are cached from here on
    fifty, shown = roster_queries(admin_client, url)
    assert shown == 50
    grow_roster(session, 450)
    five_hundred, shown = roster_queries(admin_client, url)
    assert shown == (500 if show_all else 100)
    assert five_hundred == fifty
    assert fifty <= 10
