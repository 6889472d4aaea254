"""Issuing certificates: when each kind may be issued (CE-RULES.md), what it snapshots,
idempotency, corrections that supersede, revocation, and records that outlive the order."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import ProtectedError

from audit.services import log_entries
from catalog.formatting import PACIFIC
from certificates.models import Certificate, Evaluation
from certificates.services.issuing import (
    CertificateRefused,
    certificate_issue,
    certificate_reissue,
    certificate_revoke,
    certificates_issue_for_enrolment,
)
from registration.models import Enrolment, TraineeProfile
from registration.services.orders import registration_manual
from registration.services.payments import order_refund_by_staff
from tests.evaluations import AFTER, submit_evaluation
from tests.factories import FIRST_SESSION_START, LICENSES

ATTENDANCE, CE = Certificate.Kind.ATTENDANCE, Certificate.Kind.CE


def refusal(enrolment, kind, now=AFTER) -> str:
    with pytest.raises(CertificateRefused) as refused:
        certificate_issue(enrolment=enrolment, kind=kind, now=now)
    return refused.value.args[0]


def test_certificate_of_attendance_needs_full_attendance_and_the_session_over(attended):
    unmarked = attended(attendance=Enrolment.Attendance.UNMARKED)
    absent = attended(attendance=Enrolment.Attendance.ABSENT)
    cancelled = attended(status=Enrolment.Status.CANCELLED)
    present = attended()

    assert "not marked attended" in refusal(unmarked, ATTENDANCE)
    assert "not marked attended" in refusal(absent, ATTENDANCE)
    assert "confirmed" in refusal(cancelled, ATTENDANCE)
    during = FIRST_SESSION_START + timedelta(hours=4)
    assert refusal(present, ATTENDANCE, now=during) == "The session has not ended yet."
    assert not Certificate.objects.exists()


def test_certificate_of_attendance_does_not_wait_for_the_evaluation(attended, apa):
    enrolment = attended(credit_type=apa)
    certificate = certificate_issue(enrolment=enrolment, kind=ATTENDANCE, now=AFTER)

    assert certificate.status == Certificate.Status.VALID
    assert certificate.kind == ATTENDANCE and certificate.credit_type is None
    assert certificate.legal_name == enrolment.trainee.trainee_profile.legal_name
    assert certificate.course_title == "Foundations of Ketamine-Assisted Psychotherapy"
    assert certificate.session_dates == "Mon, Jun 21, 2027"
    assert certificate.hours == Decimal("8")
    assert certificate.credits is None
    assert certificate.version == 1 and certificate.issued_at == AFTER
    assert len(certificate.code) == 16


def test_ce_certificate_is_issued_once_the_evaluation_is_submitted(attended, apa):
    enrolment = attended(credit_type=apa, profession="lmft")

    assert refusal(enrolment, CE) == (
        "The CE certificate is issued once the trainee submits the course evaluation."
    )
    submit_evaluation(enrolment)
    certificate = certificate_issue(enrolment=enrolment, kind=CE, now=AFTER)

    assert certificate.credit_type == apa
    assert certificate.credits == Decimal("8")
    assert certificate.license_type == "Licensed Marriage and Family Therapist (LMFT)"
    assert certificate.license_number == LICENSES["lmft"]
    assert certificate.license_state == "CA"


def test_an_evaluation_started_but_not_submitted_is_not_enough(attended, apa):

    enrolment = attended(credit_type=apa)
    Evaluation.objects.create(enrolment=enrolment, requested_at=AFTER)

    assert "submits the course evaluation" in refusal(enrolment, CE)


def test_ce_certificate_needs_ce_bought_and_a_complete_profile(attended, apa, make_trainee):
    no_ce = attended()
    submit_evaluation(no_ce)
    incomplete = attended(credit_type=apa, trainee=make_trainee(license_number="", state=""))
    submit_evaluation(incomplete)

    no_state = attended(credit_type=apa)
    TraineeProfile.objects.filter(user=no_state.trainee).update(license_state="")
    submit_evaluation(no_state)

    assert refusal(no_ce, CE) == "This registration has no CE credit."
    assert refusal(incomplete, CE) == "APA certificate refused: license number missing."
    assert "license details" in refusal(no_state, CE)
    # Their attendance is still certified.
    assert certificate_issue(enrolment=incomplete, kind=ATTENDANCE, now=AFTER).pk


def test_an_expired_brn_provider_number_blocks_brn_certificates(attended, brn):
    enrolment = attended(credit_type=brn, profession="rn")
    submit_evaluation(enrolment)
    brn.expired = True
    brn.save()

    assert refusal(enrolment, CE) == (
        "No BRN certificate can be issued while provider number CEP16887 is marked expired."
    )
    assert certificate_issue(enrolment=enrolment, kind=ATTENDANCE, now=AFTER).pk
    brn.expired = False
    brn.save()
    assert certificate_issue(enrolment=enrolment, kind=CE, now=AFTER).credit_type == brn


def test_no_brn_certificate_without_the_providers_signature(attended, brn):
    brn.signature = ""
    brn.save()
    enrolment = attended(credit_type=brn, profession="rn")
    submit_evaluation(enrolment)

    assert "signature" in refusal(enrolment, CE)


def test_issuing_twice_gives_the_same_certificate_and_one_email(
    attended, mailoutbox, django_capture_on_commit_callbacks
):
    enrolment = attended()
    with django_capture_on_commit_callbacks(execute=True):
        first = certificate_issue(enrolment=enrolment, kind=ATTENDANCE, now=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        again = certificate_issue(enrolment=enrolment, kind=ATTENDANCE, now=AFTER)

    assert again.pk == first.pk
    assert Certificate.objects.filter(enrolment=enrolment).count() == 1
    assert len(mailoutbox) == 1


def test_issuing_for_an_enrolment_gives_attendance_now_and_ce_after_the_evaluation(attended, apa):
    enrolment = attended(credit_type=apa)

    before = certificates_issue_for_enrolment(enrolment=enrolment, now=AFTER)
    assert [c.kind for c in before] == [ATTENDANCE]
    submit_evaluation(enrolment)
    after = certificates_issue_for_enrolment(enrolment=enrolment, now=AFTER)
    assert [c.kind for c in after] == [ATTENDANCE, CE]
    assert after[0].pk == before[0].pk


def test_issuing_for_an_absent_trainee_is_refused(attended):
    with pytest.raises(CertificateRefused):
        certificates_issue_for_enrolment(
            enrolment=attended(attendance=Enrolment.Attendance.ABSENT), now=AFTER
        )


def test_a_corrected_name_makes_version_2_and_the_first_superseded(
    attended, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    enrolment = attended()
    original = certificate_issue(enrolment=enrolment, kind=ATTENDANCE, now=AFTER)
    later = AFTER + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        corrected = certificate_reissue(
            certificate=original, legal_name="  María José  Núñez ", by=admin_user, now=later
        )

    original.refresh_from_db()
    assert original.status == Certificate.Status.SUPERSEDED
    assert corrected.status == Certificate.Status.VALID
    assert (corrected.version, corrected.supersedes_id) == (2, original.pk)
    assert corrected.legal_name == "María José Núñez"
    assert corrected.code != original.code
    assert corrected.issued_at == later
    assert corrected.course_title == original.course_title
    (email,) = mailoutbox
    assert "María José Núñez" in email.body and "corrected" in email.body
    with pytest.raises(CertificateRefused, match="superseded"):
        certificate_reissue(certificate=original, legal_name="X", by=admin_user, now=later)
    # Issuing again returns the corrected version, not a third one.
    assert certificate_issue(enrolment=enrolment, kind=ATTENDANCE, now=later).pk == corrected.pk


def test_a_revoked_certificate_keeps_its_record_and_reason(attended, admin_user):
    certificate = certificate_issue(enrolment=attended(), kind=ATTENDANCE, now=AFTER)
    revoked = certificate_revoke(
        certificate=certificate, by=admin_user, reason="Issued to the wrong trainee", now=AFTER
    )
    again = certificate_revoke(certificate=certificate, by=admin_user, reason="again", now=AFTER)

    assert revoked.status == again.status == Certificate.Status.REVOKED
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Issued to the wrong trainee"
    assert certificate.revoked_at == AFTER
    with pytest.raises(CertificateRefused, match="reason"):
        certificate_revoke(certificate=certificate, by=admin_user, reason=" ", now=AFTER)


def test_certificates_outlive_a_refunded_order_and_are_logged_on_it(
    make_trainee, course, admin_user, apa
):
    trainee = make_trainee()
    before = datetime(2027, 6, 1, 9, 0, tzinfo=PACIFIC)
    order = registration_manual(
        trainee=trainee,
        session=course,
        price_cents=35000,
        credit_type=None,
        by=admin_user,
        now=before,
    )
    enrolment = Enrolment.objects.get(order_line__order=order)
    Enrolment.objects.filter(pk=enrolment.pk).update(attendance=Enrolment.Attendance.ATTENDED)
    certificate = certificate_issue(enrolment=enrolment, kind=ATTENDANCE, now=AFTER, by=admin_user)

    order_refund_by_staff(
        order=order, amount_cents=35000, reason="Goodwill", by=admin_user, refunded_cents_seen=0
    )
    with pytest.raises(ProtectedError):
        enrolment.delete()

    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID
    assert (
        log_entries(order)
        .filter(action="certificates.certificate.issued", actor=admin_user)
        .exists()
    )
