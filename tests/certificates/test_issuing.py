"""Issuing a session's certificates for the coordinator (certificates.services.sessions): who
gets what, what is refused and why, how delivery is going; and the site setting that issues
them as soon as attendance is marked."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from catalog.models import Session
from certificates.models import Certificate, Evaluation
from certificates.services.sessions import (
    session_certificates_issue,
    session_certificates_progress,
)
from registration.models import Enrolment
from registration.services import attendance
from tests.factories import CertificateFactory, UserFactory
from tests.roster import EVENING_AFTER, SESSION_END, SESSION_START, auto_issue, enrol, trainee

pytestmark = pytest.mark.usefixtures("catalog")

Kind, Delivery, Status = Certificate.Kind, Certificate.Delivery, Certificate.Status


@pytest.fixture
def session():

    return Session.objects.select_related("offering").get(
        offering__slug="module-1", starts_at__month=6
    )


@pytest.fixture
def after_session():

    with time_machine.travel(EVENING_AFTER, tick=False) as traveller:
        yield traveller


@pytest.fixture
def roster(session):
    """Attended: Dana Cho (APA CE, evaluation not in), Ben Bell (attendance only), Ivy Ito
    (APA CE, evaluation submitted). Not: Eva Diaz (absent), Gus Grey (not marked), Hal Held
    (attended but unpaid)."""
    attended = Enrolment.Attendance.ATTENDED
    people = {
        "cho": enrol(session, trainee("Dana Cho", profession="psychologist",
                                      license_number="PSY 31415"), credit="apa",
                     attendance=attended),
        "bell": enrol(session, trainee("Ben Bell"), attendance=attended),
        "ito": enrol(session, trainee("Ivy Ito", profession="psychologist",
                                      license_number="PSY 27182"), credit="apa",
                     attendance=attended),
        "diaz": enrol(session, trainee("Eva Diaz"), attendance=Enrolment.Attendance.ABSENT),
        "grey": enrol(session, trainee("Gus Grey")),
        "held": enrol(session, trainee("Hal Held"), status="held", method="offline",
                      attendance=attended),
    }  # fmt: skip
    Evaluation.objects.create(
        enrolment=people["ito"], submitted_at=SESSION_END + timedelta(minutes=20), overall_rating=5
    )
    return people


def kinds(enrolment: Enrolment) -> list[str]:
    return sorted(enrolment.certificates.filter(status=Status.VALID).values_list("kind", flat=True))


def issue(session, **kwargs):
    return session_certificates_issue(
        session=session, by=UserFactory(is_staff=True), now=timezone.now(), **kwargs
    )


# --------------------------------------------------------------------------------------
# Issuing
# --------------------------------------------------------------------------------------


def test_chosen_trainees_get_what_they_earned_and_the_rest_is_refused_with_reasons(
    after_session, session, roster
):
    chosen = [roster[key] for key in ("cho", "bell", "ito", "diaz", "grey", "held")]
    report = issue(session, enrolment_ids=[e.pk for e in chosen])

    issued = sorted((c.legal_name, c.kind) for c in report.issued)
    assert issued == [
        ("Ben Bell", Kind.ATTENDANCE),
        ("Dana Cho", Kind.ATTENDANCE),
        ("Ivy Ito", Kind.ATTENDANCE),
        ("Ivy Ito", Kind.CE),
    ]
    refused = {enrolment.pk: reason for enrolment, reason in report.refused}
    assert refused[roster["diaz"].pk] == "marked absent"
    assert refused[roster["grey"].pk] == "not marked attended in full"
    assert "evaluation" in refused[roster["cho"].pk]  # the CE certificate waits for it …
    assert kinds(roster["cho"]) == [Kind.ATTENDANCE]  # … the attendance one does not
    assert "confirmed" in refused[roster["held"].pk]
    assert len(report.refused) == 4
    assert kinds(roster["ito"]) == [Kind.ATTENDANCE, Kind.CE]
    ce = roster["ito"].certificates.get(kind=Kind.CE)
    assert ce.credit_type.code == "apa" and ce.credits == 8
    assert all(c.delivery == Delivery.QUEUED for c in report.issued)


def test_without_a_choice_everyone_marked_attended_is_issued_and_nobody_else_mentioned(
    after_session, session, roster
):
    report = issue(session)
    assert sorted({c.enrolment_id for c in report.issued}) == sorted(
        roster[key].pk for key in ("cho", "bell", "ito")
    )
    refused = {enrolment.pk for enrolment, _reason in report.refused}
    assert refused == {roster["cho"].pk, roster["held"].pk}  # CE waiting; unpaid


def test_issuing_again_issues_nothing_twice(after_session, session, roster):
    first = issue(session)
    again = issue(session)
    assert again.issued == []
    assert sorted(c.pk for c in again.already) == sorted(c.pk for c in first.issued)
    assert Certificate.objects.filter(enrolment__session=session).count() == len(first.issued)


def test_delivery_is_queued_after_commit_and_each_certificate_emailed_once(
    after_session, session, roster, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = issue(session, enrolment_ids=[roster["bell"].pk])
    assert mail.outbox == [] and len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    certificate = report.issued[0]
    certificate.refresh_from_db()
    assert certificate.delivery == Delivery.EMAILED and certificate.pdf
    assert [m.to for m in mail.outbox] == [[roster["bell"].trainee.email]]
    assert mail.outbox[0].attachments[0][2] == "application/pdf"


# --------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------


def test_progress_counts_the_sessions_valid_certificates_by_delivery(session, roster):
    CertificateFactory(enrolment=roster["cho"], delivery=Delivery.EMAILED)
    CertificateFactory(enrolment=roster["cho"], kind=Kind.CE, delivery=Delivery.RENDERED)
    CertificateFactory(enrolment=roster["bell"], delivery=Delivery.QUEUED)
    failed = CertificateFactory(
        enrolment=roster["ito"],
        delivery=Delivery.FAILED,
        delivery_error="SMTP 550: mailbox unavailable",
    )
    old = CertificateFactory(
        enrolment=roster["diaz"], status=Status.SUPERSEDED, delivery=Delivery.FAILED
    )
    CertificateFactory(
        enrolment=roster["diaz"], version=2, supersedes=old, delivery=Delivery.EMAILED
    )

    progress = session_certificates_progress(session=session, now=EVENING_AFTER)
    assert (progress.total, progress.rendered, progress.emailed, progress.queued) == (5, 3, 2, 1)
    assert progress.failed == [(failed, "SMTP 550: mailbox unavailable")]
    assert progress.emailing == 1 and progress.in_flight and not progress.done


def test_progress_is_done_when_nothing_is_on_its_way(session, roster):
    CertificateFactory(enrolment=roster["cho"], delivery=Delivery.EMAILED)
    CertificateFactory(enrolment=roster["bell"], delivery=Delivery.FAILED)
    progress = session_certificates_progress(session=session, now=EVENING_AFTER)
    assert not progress.in_flight and progress.done
    assert progress.failed[0][1] == "no reason was recorded"


# --------------------------------------------------------------------------------------
# The site setting: issue certificates when attendance is marked
# --------------------------------------------------------------------------------------


def mark(entries, *, attended=True):
    """Mark them as the coordinator does once their sign-in and sign-out are recorded."""
    Enrolment.objects.filter(pk__in=[e.pk for e in entries]).update(
        signed_in_at=SESSION_START, signed_out_at=SESSION_END
    )
    return attendance.attendance_mark(
        enrolment_ids=[e.pk for e in entries],
        attendance="attended" if attended else "absent",
        by=UserFactory(is_staff=True),
        now=timezone.now(),
    ).count


@pytest.fixture
def unmarked(session):
    """Ann Ames (APA CE, evaluation already in) and Bo Birch (attendance only), not marked."""
    ames = enrol(session, trainee("Ann Ames", profession="psychologist",
                                  license_number="PSY 16180"), credit="apa")  # fmt: skip
    Evaluation.objects.create(enrolment=ames, submitted_at=SESSION_END, overall_rating=4)
    return [ames, enrol(session, trainee("Bo Birch"))]


def test_with_the_setting_on_marking_attended_issues_certificates_after_commit(
    after_session, unmarked, django_capture_on_commit_callbacks
):
    auto_issue(True)
    ames, birch = unmarked
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert mark(unmarked) == 2
    assert not Certificate.objects.exists()  # nothing before the marking commits
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert kinds(ames) == [Kind.ATTENDANCE, Kind.CE]
    assert kinds(birch) == [Kind.ATTENDANCE]
    assert Certificate.objects.filter(delivery=Delivery.EMAILED).count() == 3
    assert len(mail.outbox) == 3


def test_with_the_setting_on_a_ce_certificate_still_waits_for_its_evaluation(
    after_session, session, django_capture_on_commit_callbacks
):
    auto_issue(True)
    cho = enrol(session, trainee("Dana Cho", profession="psychologist",
                                 license_number="PSY 31415"), credit="apa")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        mark([cho])
    assert kinds(cho) == [Kind.ATTENDANCE]


def test_with_the_setting_off_marking_attended_issues_nothing(
    after_session, unmarked, django_capture_on_commit_callbacks
):
    auto_issue(False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mark(unmarked)
    assert callbacks == []
    assert not Certificate.objects.exists()
    assert mail.outbox == []


def test_marking_absent_issues_nothing_even_with_the_setting_on(
    after_session, unmarked, django_capture_on_commit_callbacks
):
    auto_issue(True)
    with django_capture_on_commit_callbacks(execute=True):
        mark(unmarked, attended=False)
    assert not Certificate.objects.exists()
