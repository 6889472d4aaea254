"""No credit for partial attendance (BRN 16 CCR §1451(c); APA: full attendance only), driven
through the roster as the coordinator uses it: "Mark attended" leaves flagged trainees out and
says why, one row counts in full only with a written reason, a Zoom report under the
offering's threshold is flagged, and a partial attendee gets no certificate at all."""

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import LogEntry
from audit.services import log_entries
from catalog.models import Offering
from certificates.models import Certificate
from certificates.tasks import evaluation_requests_send
from registration.models import Enrolment
from tests.admin_forms import admin_form_data
from tests.admin_pages import rows, shown_messages
from tests.evaluations import answers
from tests.factories import CertificateFactory, StaffFactory, login_staff
from tests.roster import at, enrol, inline_form, roster_url, run_action, trainee

from .flows import text

pytestmark = pytest.mark.usefixtures("catalog")

# Module 1 on Mon, Jun 21, 2027, 9:00 AM – 5:00 PM PT, and the evening after it.

ZOOM_HEADER = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"


def signed(entry: Enrolment, signed_in, signed_out) -> Enrolment:
    Enrolment.objects.filter(pk=entry.pk).update(signed_in_at=signed_in, signed_out_at=signed_out)
    return entry


def attendance_of(entry: Enrolment) -> str:
    return Enrolment.objects.get(pk=entry.pk).attendance


def row_of(response, name: str) -> str:
    return next(row for row in rows(response) if row.startswith(name))


@pytest.fixture
def cho(session):
    """Dana Cho, a psychologist with APA CE."""
    return enrol(
        session,
        trainee("Dana Cho", profession="psychologist", credentials="PsyD",
                license_number="PSY 31415"),
        credit="apa",
    )  # fmt: skip


@pytest.fixture
def bell(session):
    """Ben Bell, there from start to end."""
    return signed(enrol(session, trainee("Ben Bell")), at(8, 55), at(17, 2))


# --------------------------------------------------------------------------------------
# "Mark attended" leaves flagged trainees out, and says why
# --------------------------------------------------------------------------------------


def test_mark_attended_leaves_out_a_trainee_who_left_early_and_says_why(
    after_session, coordinator, session, cho, bell
):
    signed(cho, at(8, 57), at(12))

    response = run_action(coordinator, session, "mark_attended", cho, bell)

    assert response.status_code == 200
    assert shown_messages(response) == [
        "1 trainee marked attended in full.",
        "1 flagged trainee left out: Dana Cho — left early at 12:00 PM (session ends 5:00 PM). "
        "Mark them partial, or choose “Attended in full” on their row and write why.",
    ]
    assert attendance_of(cho) == "unmarked"
    assert attendance_of(bell) == "attended"
    assert "left early" in row_of(response, "Dana Cho")
    assert not log_entries(cho.order_line.order).filter(
        action__startswith="registration.attendance"
    )


def test_mark_attended_leaves_out_a_late_arrival_and_says_why(
    after_session, coordinator, session, cho, bell
):
    signed(cho, at(9, 31), at(17))

    response = run_action(coordinator, session, "mark_attended", cho, bell)

    assert shown_messages(response)[1].startswith(
        "1 flagged trainee left out: Dana Cho — arrived late at 9:31 AM (session starts 9:00 AM)."
    )
    assert attendance_of(cho) == "unmarked"
    assert attendance_of(bell) == "attended"


def test_mark_attended_leaves_out_every_row_without_a_sign_in_or_sign_out_record(
    after_session, coordinator, session, bell
):
    nobody = [enrol(session, trainee(f"Trainee Number{n:02d}")) for n in range(40)]
    half = signed(enrol(session, trainee("Hal Half")), at(8, 50), None)

    response = coordinator.post(
        roster_url(session),
        {"action": "mark_attended", "index": 0, "select_across": 1, "_selected_action": [0]},
        follow=True,
    )

    marked, left_out = shown_messages(response)
    assert marked == "1 trainee marked attended in full."
    assert left_out.startswith("41 flagged trainees left out: Hal Half — no sign-out recorded; ")
    assert "Trainee Number00, Trainee Number01, " in left_out
    assert "Trainee Number39 — no sign-in or sign-out recorded." in left_out
    assert attendance_of(bell) == "attended"
    assert all(attendance_of(entry) == "unmarked" for entry in [*nobody, half])
    assert "no record" in row_of(response, "Trainee Number07")
    assert "no sign-out" in row_of(response, "Hal Half")


# --------------------------------------------------------------------------------------
# One row counts in full only with a written reason
# --------------------------------------------------------------------------------------


def override(client, session, entry: Enrolment, reason: str, **extra):
    """The coordinator chooses "Attended in full" on the row, writes the reason, saves."""
    data, row = inline_form(client, session, entry)
    data.update({f"{row}-attendance": "attended", f"{row}-override_reason": reason, **extra})
    return client.post(roster_url(session), {**data, "_save": "Save"}, follow=True)


REASON = "Zoom dropped her at 12:00; the host saw her back by phone until 5:00 PM."


def test_a_flagged_row_counts_in_full_with_a_written_reason_kept_in_the_log_and_on_the_row(
    after_session, coordinator, session, cho, bell
):
    signed(cho, at(8, 57), at(12))

    response = override(coordinator, session, cho, REASON)

    assert response.status_code == 200
    assert attendance_of(cho) == "attended"
    assert Enrolment.objects.get(pk=cho.pk).override_reason == REASON
    event = log_entries(cho.order_line.order).last()
    assert (event.action, event.actor) == ("registration.attendance.override", coordinator.user)
    assert event.data["reason"] == REASON
    assert event.text == (
        f"Counted attended in full for {cho.session} despite: left early at 12:00 PM "
        f"(session ends 5:00 PM). Reason: {REASON}"
    )
    assert f"Counted in full: {REASON}" in row_of(response, "Dana Cho")
    assert attendance_of(bell) == "unmarked"  # the rest of the roster is untouched


def test_a_flagged_row_without_a_reason_is_refused_next_to_the_field_and_nothing_changes(
    after_session, coordinator, session, cho, bell
):
    signed(cho, at(8, 57), at(12))
    events = LogEntry.objects.count()

    response = override(coordinator, session, cho, "   ")

    assert response.status_code == 200
    assert "Please correct the error below." in text(response)
    row = row_of(response, "Dana Cho")
    assert (
        "Write why this trainee counts as attended in full despite the flag: left early at "
        "12:00 PM (session ends 5:00 PM)." in row
    )
    assert attendance_of(cho) == "unmarked"
    assert Enrolment.objects.get(pk=cho.pk).override_reason == ""
    assert LogEntry.objects.count() == events


# --------------------------------------------------------------------------------------
# A Zoom report under the threshold
# --------------------------------------------------------------------------------------


def test_a_zoom_report_under_the_threshold_is_flagged_and_left_out_of_mark_attended(
    after_session, coordinator, session, cho, bell
):
    # First join before the start and last leave after the end, but three hours away between.
    report = ZOOM_HEADER + (
        f"Dana Cho,{cho.trainee.email},06/21/2027 08:58:00 AM,06/21/2027 10:30:00 AM,92,No\n"
        f"Dana Cho,{cho.trainee.email},06/21/2027 01:27:00 PM,06/21/2027 05:01:00 PM,214,No\n"
        f"Ben Bell,{bell.trainee.email},06/21/2027 08:55:00 AM,06/21/2027 05:02:00 PM,487,No\n"
    )
    imported = coordinator.post(
        reverse("admin:registration_rosterentry_zoom", args=[session.pk]),
        {"report": SimpleUploadedFile("participants.csv", report.encode(), "text/csv")},
        follow=True,
    )
    assert shown_messages(imported) == [
        "2 matched; 1 connected for less than 95% of the session: Dana Cho (63%)."
    ]
    assert "Zoom 63%" in row_of(imported, "Dana Cho")

    response = run_action(coordinator, session, "mark_attended", cho, bell)

    assert shown_messages(response)[1].startswith(
        "1 flagged trainee left out: Dana Cho — connected 5 h 3 min of 8 h on Zoom "
        "(63%; full attendance needs 95%)."
    )
    assert attendance_of(cho) == "unmarked"
    assert attendance_of(bell) == "attended"


def test_the_coordinator_sets_the_zoom_threshold_on_the_offering(
    after_session, coordinator, session, cho
):
    offering_url = reverse("admin:catalog_offering_change", args=[session.offering_id])
    data = admin_form_data(coordinator, offering_url)
    assert data["zoom_minimum_percent"] == "95"  # the default
    saved = coordinator.post(offering_url, {**data, "zoom_minimum_percent": "60"}, follow=True)
    assert saved.status_code == 200 and "was changed successfully" in text(saved)
    assert Offering.objects.get(pk=session.offering_id).zoom_minimum_percent == 60

    report = ZOOM_HEADER + (
        f"Dana Cho,{cho.trainee.email},06/21/2027 08:58:00 AM,06/21/2027 10:30:00 AM,92,No\n"
        f"Dana Cho,{cho.trainee.email},06/21/2027 01:27:00 PM,06/21/2027 05:01:00 PM,214,No\n"
    )
    imported = coordinator.post(
        reverse("admin:registration_rosterentry_zoom", args=[session.pk]),
        {"report": SimpleUploadedFile("participants.csv", report.encode(), "text/csv")},
        follow=True,
    )
    assert shown_messages(imported) == ["1 matched."]  # 63% is over 60%
    response = run_action(coordinator, session, "mark_attended", cho)
    assert shown_messages(response) == ["1 trainee marked attended in full."]


@pytest.mark.parametrize("percent", ["49", "101", "ninety"])
def test_a_zoom_threshold_out_of_range_is_refused_next_to_the_field(
    before_season, coordinator, session, percent
):
    offering_url = reverse("admin:catalog_offering_change", args=[session.offering_id])
    data = admin_form_data(coordinator, offering_url)
    response = coordinator.post(offering_url, {**data, "zoom_minimum_percent": percent})
    assert response.status_code == 200
    assert "Please correct the error below." in text(response)
    assert Offering.objects.get(pk=session.offering_id).zoom_minimum_percent == 95


# --------------------------------------------------------------------------------------
# A partial attendee gets neither certificate
# --------------------------------------------------------------------------------------


def test_a_trainee_who_left_at_noon_gets_no_certificate_from_mark_attended_and_evaluating(
    after_session, coordinator, session, cho, bell, settings, tmp_path
):
    """The issue's story: signed out at 12:00 of a 9:00–17:00 session, shown "left early",
    accepted by a bulk "Mark attended", and then issued 8 hours and 8 APA credits."""

    settings.MEDIA_ROOT = tmp_path
    signed(cho, at(8, 57), at(12))
    run_action(coordinator, session, "mark_attended", cho, bell)

    dana = Client()
    dana.force_login(cho.trainee)
    dana.post(f"/evaluations/{cho.pk}/", answers(cho), follow=True)
    coordinator.post(
        roster_url(session),
        {"action": "issue_certificates", "index": 0, "select_across": 1, "_selected_action": [0]},
    )

    assert not Certificate.objects.filter(enrolment=cho).exists()
    assert Certificate.objects.filter(enrolment=bell, kind="attendance").exists()


def test_a_partial_attendee_gets_no_certificate_even_after_the_evaluation(
    after_session, coordinator, session, cho, bell, settings, tmp_path
):

    settings.MEDIA_ROOT = tmp_path
    data, row = inline_form(coordinator, session, cho)
    data.update(
        {
            f"{row}-signed_in_at_0": "2027-06-21",
            f"{row}-signed_in_at_1": "08:57:00",
            f"{row}-signed_out_at_0": "2027-06-21",
            f"{row}-signed_out_at_1": "12:00:00",
            "_save": "Save",
        }
    )
    coordinator.post(roster_url(session), data)
    run_action(coordinator, session, "mark_attended", cho, bell)
    marked = run_action(coordinator, session, "mark_partial", cho)
    assert shown_messages(marked) == ["1 trainee marked partial."]
    assert "Partial" in row_of(marked, "Dana Cho")

    dana = Client()
    dana.force_login(cho.trainee)
    evaluated = dana.post(f"/evaluations/{cho.pk}/", answers(cho), follow=True)
    assert "Thank you: your evaluation was submitted." in text(evaluated)
    assert (
        "Your attendance is recorded as partial: left early at 12:00 PM (session ends "
        "5:00 PM). Partial attendance earns no CE credit, so no certificate is issued."
        in text(evaluated)
    )
    assert not Certificate.objects.filter(enrolment=cho).exists()

    issued = coordinator.post(
        roster_url(session),
        {"action": "issue_certificates", "index": 0, "select_across": 1, "_selected_action": [0]},
        follow=True,
    )
    page = text(issued)
    assert "Certificates: Module 1" in page
    assert (
        "Dana Cho — left early at 12:00 PM (session ends 5:00 PM): partial attendance earns "
        "no credit" in page
    )
    assert not Certificate.objects.filter(enrolment=cho).exists()
    assert list(Certificate.objects.filter(enrolment=bell).values_list("kind", flat=True)) == [
        "attendance"
    ]


# --------------------------------------------------------------------------------------
# Evidence that changes after the marking
# --------------------------------------------------------------------------------------


def sign_out_at(client, session, entry: Enrolment, time: str):
    """The coordinator corrects the row's sign-out time and saves the roster."""
    data, row = inline_form(client, session, entry)
    data.update({f"{row}-signed_out_at_0": "2027-06-21", f"{row}-signed_out_at_1": time})
    return client.post(roster_url(session), {**data, "_save": "Save"}, follow=True)


def test_times_that_flag_a_trainee_attended_in_full_make_them_partial(
    after_session, coordinator, session, cho
):
    signed(cho, at(8, 55), at(17))
    run_action(coordinator, session, "mark_attended", cho)
    assert attendance_of(cho) == "attended"

    response = sign_out_at(coordinator, session, cho, "12:00:00")

    assert "Dana Cho is now partial: left early at 12:00 PM (session ends 5:00 PM)." in (
        shown_messages(response)
    )
    assert attendance_of(cho) == "partial"
    assert "Partial" in row_of(response, "Dana Cho")
    event = log_entries(cho.order_line.order).last()
    assert event.text.startswith("Attendance now partial for Module 1")


def test_a_row_attended_in_full_before_these_rules_stays_so_until_its_times_show_a_gap(
    after_session, coordinator, session, cho
):
    Enrolment.objects.filter(pk=cho.pk).update(attendance="attended")  # as migrated: no times

    data, row = inline_form(coordinator, session, cho)
    data.update({f"{row}-signed_in_at_0": "2027-06-21", f"{row}-signed_in_at_1": "08:58:00"})
    coordinator.post(roster_url(session), {**data, "_save": "Save"})
    assert attendance_of(cho) == "attended"  # a time still missing shows no gap

    sign_out_at(coordinator, session, cho, "12:00:00")
    assert attendance_of(cho) == "partial"


def test_a_certified_trainees_times_cannot_make_them_partial(
    after_session, coordinator, session, cho
):
    signed(cho, at(8, 55), at(17))
    Enrolment.objects.filter(pk=cho.pk).update(attendance="attended")
    CertificateFactory(enrolment=cho, issued_at=at(18))

    response = sign_out_at(coordinator, session, cho, "12:00:00")

    assert "Please correct the error below." in text(response)
    assert (
        "This trainee has a certificate for attending in full, and these times make the "
        "attendance partial (left early at 12:00 PM (session ends 5:00 PM)): revoke the "
        "certificate first." in row_of(response, "Dana Cho")
    )
    entry = Enrolment.objects.get(pk=cho.pk)
    assert (entry.attendance, entry.signed_out_at) == ("attended", at(17))


def test_a_zoom_report_under_the_threshold_makes_a_trainee_attended_in_full_partial(
    after_session, coordinator, session, cho
):
    signed(cho, at(8, 55), at(17))
    run_action(coordinator, session, "mark_attended", cho)
    report = ZOOM_HEADER + (
        f"Dana Cho,{cho.trainee.email},06/21/2027 08:58:00 AM,06/21/2027 10:30:00 AM,92,No\n"
        f"Dana Cho,{cho.trainee.email},06/21/2027 01:27:00 PM,06/21/2027 05:01:00 PM,214,No\n"
    )
    response = coordinator.post(
        reverse("admin:registration_rosterentry_zoom", args=[session.pk]),
        {"report": SimpleUploadedFile("participants.csv", report.encode(), "text/csv")},
        follow=True,
    )
    assert shown_messages(response) == [
        "1 matched; 1 connected for less than 95% of the session: Dana Cho (63%); "
        "1 marked attended in full is now partial: Dana Cho."
    ]
    assert attendance_of(cho) == "partial"


def test_a_zoom_report_that_would_make_a_certified_trainee_partial_imports_nothing(
    after_session, coordinator, session, cho, bell
):
    signed(cho, at(8, 55), at(17))
    Enrolment.objects.filter(pk=cho.pk).update(attendance="attended")
    CertificateFactory(enrolment=cho, issued_at=at(18))
    report = ZOOM_HEADER + (
        f"Dana Cho,{cho.trainee.email},06/21/2027 08:58:00 AM,06/21/2027 11:00:00 AM,122,No\n"
        f"Ben Bell,{bell.trainee.email},06/21/2027 08:55:00 AM,06/21/2027 05:02:00 PM,487,No\n"
    )
    response = coordinator.post(
        reverse("admin:registration_rosterentry_zoom", args=[session.pk]),
        {"report": SimpleUploadedFile("participants.csv", report.encode(), "text/csv")},
        follow=True,
    )
    assert not response.redirect_chain
    assert (
        "Nothing was imported: the report makes the attendance of Dana Cho partial, and they "
        "hold a certificate for attending in full. Revoke it first." in text(response)
    )
    assert Enrolment.objects.get(pk=cho.pk).signed_out_at == at(17)
    assert Enrolment.objects.get(pk=bell.pk).zoom_connected_minutes is None


# --------------------------------------------------------------------------------------
# Partial and absent drop the reason; who may read it; not before the session
# --------------------------------------------------------------------------------------


def test_marking_partial_after_an_override_drops_the_reason(
    after_session, coordinator, session, cho
):
    signed(cho, at(8, 57), at(12))
    override(coordinator, session, cho, REASON)

    response = run_action(coordinator, session, "mark_partial", cho)

    entry = Enrolment.objects.get(pk=cho.pk)
    assert (entry.attendance, entry.override_reason) == ("partial", "")
    assert "Counted in full" not in row_of(response, "Dana Cho")
    assert REASON in log_entries(cho.order_line.order)[0].text


def test_staff_who_may_only_view_the_roster_read_the_reason_and_cannot_override(
    after_session, client, session, cho
):

    signed(cho, at(8, 57), at(12))
    Enrolment.objects.filter(pk=cho.pk).update(attendance="attended", override_reason=REASON)
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_rosterentry"))
    login_staff(client, viewer)

    page = client.get(roster_url(session))

    row = row_of(page, "Dana Cho")
    assert f"Counted in full: {REASON}" in row and "Attended in full" in row
    assert "override_reason" not in page.content.decode()
    assert "<select" not in page.content.decode().split('id="result_list"')[1]


def test_attended_in_full_is_refused_next_to_the_field_before_the_session(
    before_season, coordinator, session, cho
):
    data, row = inline_form(coordinator, session, cho)
    data[f"{row}-attendance"] = "attended"
    response = coordinator.post(roster_url(session), {**data, "_save": "Save"})
    assert "Attendance can't be marked on a future session." in row_of(response, "Dana Cho")
    assert attendance_of(cho) == "unmarked"


# --------------------------------------------------------------------------------------
# What the partial attendee reads
# --------------------------------------------------------------------------------------


def test_a_partial_attendee_is_told_before_evaluating_that_no_certificate_follows(
    after_session, session, cho, django_capture_on_commit_callbacks
):

    signed(cho, at(8, 57), at(12))
    Enrolment.objects.filter(pk=cho.pk).update(attendance="partial")
    with time_machine.travel(at(18).replace(day=23), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            evaluation_requests_send()
        dana = Client()
        dana.force_login(cho.trainee)
        page = text(dana.get(f"/evaluations/{cho.pk}/"))
        mine = text(dana.get(reverse("registration:my_trainings")))

    [request] = [m for m in mail.outbox if m.to == [cho.trainee.email]]
    assert "Your attendance is recorded as partial, which earns no certificate" in request.body
    assert "certificate is issued when you submit" not in request.body
    assert (
        "Your attendance is recorded as partial: left early at 12:00 PM (session ends 5:00 PM). "
        "Partial attendance earns no certificate and no CE credit." in page
    )
    assert "Submit the evaluation and issue my CE certificate" not in page
    assert "Submit the evaluation" in page
    assert "Attendance recorded as partial: partial attendance earns no certificate" in mine
