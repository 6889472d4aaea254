"""The public verification page, the PDF download (the trainee's own, staff any), the CE
transcript, and the links on My trainings."""

import re
from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from catalog.formatting import PACIFIC
from catalog.models import OfferingCredit
from certificates.models import Certificate
from certificates.services.issuing import (
    certificate_issue,
    certificate_reissue,
    certificate_revoke,
    certificates_issue_for_enrolment,
)
from registration.models import Enrolment, TraineeProfile
from registration.services.orders import registration_manual
from tests.evaluations import AFTER, submit_evaluation
from tests.factories import (
    LICENSES,
    CreditTypeFactory,
    OfferingFactory,
    SessionFactory,
    StaffFactory,
    UserFactory,
    login_staff,
)
from tests.pdfs import pdf_text
from tests.registration.flows import text

ATTENDANCE, CE = Certificate.Kind.ATTENDANCE, Certificate.Kind.CE


@pytest.fixture
def ce_certificate(attended, apa):
    enrolment = attended(credit_type=apa, profession="lmft")
    submit_evaluation(enrolment)
    return certificate_issue(enrolment=enrolment, kind=CE, now=AFTER)


def verify(client, code: str, address: str = "203.0.113.7"):
    return client.get(f"/verify/{code}/", REMOTE_ADDR=address)


def status_of(response) -> str:
    return text(
        re.search(r'id="verify-status"[^>]*>(.*?)</div>', response.content.decode(), re.S)[1]
    )


# --------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------


def test_a_valid_certificate_shows_name_course_dates_and_credits_only(client, ce_certificate):
    response = verify(client, ce_certificate.code)

    assert response.status_code == 200
    page = text(response)
    assert status_of(response).startswith("Valid.")
    assert ce_certificate.legal_name in page
    assert "Foundations of Ketamine-Assisted Psychotherapy" in page
    assert "Mon, Jun 21, 2027" in page
    assert "8 CE credits · APA CE" in page
    assert "Jul 1, 2027" in page
    assert LICENSES["lmft"] not in page
    assert "LMFT" not in page
    assert ce_certificate.trainee.email not in page
    assert response["X-Robots-Tag"] == "noindex"


def test_a_code_typed_in_lower_case_with_dashes_is_found(client, ce_certificate):
    code = ce_certificate.code.lower()
    response = verify(client, f"{code[:4]}-{code[4:8]}-{code[8:]}")

    assert response.status_code == 200
    assert ce_certificate.legal_name in text(response)


def test_a_superseded_certificate_says_so_and_links_to_the_current_version(
    client, ce_certificate, admin_user
):
    corrected = certificate_reissue(
        certificate=ce_certificate, legal_name="Alexandra Trainee", by=admin_user, now=AFTER
    )

    response = verify(client, ce_certificate.code)

    assert response.status_code == 200
    assert status_of(response).startswith("Superseded.")
    assert f'href="/verify/{corrected.code}/"' in response.content.decode()
    current = verify(client, corrected.code)
    assert status_of(current).startswith("Valid.")
    assert "Alexandra Trainee" in text(current)


def test_a_revoked_certificate_says_so(client, ce_certificate, admin_user):
    certificate_revoke(
        certificate=ce_certificate, by=admin_user, reason="Paid by another", now=AFTER
    )

    response = verify(client, ce_certificate.code)

    assert status_of(response).startswith("Revoked.")
    assert "no longer valid" in status_of(response)
    assert "Paid by another" not in text(response)


@pytest.mark.parametrize("code", ["ABCDEFGHJKLMNPQR", "<script>alert(1)<", "0O1I"])
def test_an_unknown_code_gets_a_clear_not_found_page(client, db, code):
    response = verify(client, code)

    assert response.status_code == 404
    assert "Certificate not found" in text(response)
    assert "<script>alert" not in response.content.decode()


def test_verification_is_rate_limited_per_address(client, ce_certificate, settings):
    settings.CERTIFICATE_VERIFY_PER_MINUTE = 3
    for _ in range(3):
        assert verify(client, ce_certificate.code).status_code == 200

    limited = verify(client, "ABCDEFGHJKLMNPQR")
    assert limited.status_code == 429
    assert "Too many certificates were checked from your connection" in text(limited)
    assert ce_certificate.legal_name not in text(verify(client, ce_certificate.code))
    assert verify(client, ce_certificate.code, address="198.51.100.9").status_code == 200


def test_the_lookup_form_leads_to_the_certificate(client, ce_certificate):
    assert "Verification code" in text(client.get("/verify/"))

    response = client.get("/verify/", {"code": f" {ce_certificate.code.lower()} "})

    assert response.status_code == 302
    assert response["Location"] == f"/verify/{ce_certificate.code}/"


# --------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------


def pdf_url(certificate: Certificate) -> str:
    return f"/certificates/{certificate.code}/pdf/"


def test_the_trainee_downloads_their_own_certificate(client, ce_certificate):
    client.force_login(ce_certificate.trainee)

    response = client.get(pdf_url(ce_certificate))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"polaris-certificate-{ce_certificate.code}.pdf" in response["Content-Disposition"]
    assert ce_certificate.legal_name in pdf_text(response.content)


def test_another_trainee_and_anonymous_visitors_get_a_404(client, ce_certificate):
    assert client.get(pdf_url(ce_certificate)).status_code == 404

    client.force_login(UserFactory())
    assert client.get(pdf_url(ce_certificate)).status_code == 404


def test_staff_who_may_view_certificates_download_any(client, ce_certificate):
    coordinator = StaffFactory()
    login_staff(client, coordinator)
    assert client.get(pdf_url(ce_certificate)).status_code == 404

    coordinator.user_permissions.add(Permission.objects.get(codename="view_certificate"))
    response = client.get(pdf_url(ce_certificate))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_a_trainee_cannot_download_a_revoked_certificate(client, ce_certificate, admin_user):
    certificate_revoke(certificate=ce_certificate, by=admin_user, reason="Error", now=AFTER)
    client.force_login(ce_certificate.trainee)

    assert client.get(pdf_url(ce_certificate)).status_code == 404


# --------------------------------------------------------------------------------------
# Transcript and My trainings
# --------------------------------------------------------------------------------------


def test_the_ce_transcript_lists_every_ce_certificate_with_totals(
    client, attended, apa, make_trainee
):
    trainee = make_trainee()
    first = attended(trainee=trainee, credit_type=apa)
    offering = OfferingFactory(title="Advanced Clinical Issues in KAP")
    OfferingCredit.objects.create(
        offering=offering, credit_type=apa, credits=Decimal("7.5"), fee_cents=7900
    )
    other = CreditTypeFactory(code="nbcc", name="NBCC CE", unit="CE hours")
    OfferingCredit.objects.create(offering=offering, credit_type=other, credits=3, fee_cents=0)
    session = SessionFactory(offering=offering, starts_at=datetime(2027, 6, 25, 9, tzinfo=PACIFIC))
    second = attended(trainee=trainee, credit_type=apa, session=session)
    third = attended(trainee=trainee, credit_type=other, session=session)
    for enrolment in (first, second, third):
        submit_evaluation(enrolment)
        certificate_issue(enrolment=enrolment, kind=CE, now=AFTER)
        certificate_issue(enrolment=enrolment, kind=ATTENDANCE, now=AFTER)
    client.force_login(trainee)

    response = client.get("/certificates/transcript.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    transcript = pdf_text(response.content)
    assert trainee.trainee_profile.legal_name in transcript
    assert "Foundations of Ketamine-Assisted Psychotherapy" in transcript
    assert "Advanced Clinical Issues in KAP" in transcript
    assert "APA CE 15.5 CE credits" in transcript
    assert "NBCC CE 3 CE hours" in transcript


def test_the_transcript_carries_the_name_of_the_latest_certificate_not_the_profiles(
    client, attended, apa, admin_user
):
    enrolment = attended(credit_type=apa)
    trainee = enrolment.trainee
    TraineeProfile.objects.filter(user=trainee).update(legal_name="Dana Cho")
    submit_evaluation(enrolment)
    issued = certificate_issue(enrolment=enrolment, kind=CE, now=AFTER)
    # The trainee edits the profile later: issued certificates keep the name they carry.
    TraineeProfile.objects.filter(user=trainee).update(legal_name="D. Cho (new account name)")
    client.force_login(trainee)

    transcript = pdf_text(client.get("/certificates/transcript.pdf").content)

    assert "Dana Cho" in transcript
    assert "new account name" not in transcript

    certificate_reissue(certificate=issued, legal_name="Dana Cho-Park", by=admin_user, now=AFTER)
    transcript = pdf_text(client.get("/certificates/transcript.pdf").content)

    assert "Dana Cho-Park" in transcript
    assert "new account name" not in transcript


def test_the_transcript_needs_a_signed_in_trainee(client, db):
    response = client.get("/certificates/transcript.pdf")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_my_trainings_links_each_certificate_and_the_transcript(
    client, course, apa, make_trainee, admin_user
):
    trainee = make_trainee(profession="lmft")
    order = registration_manual(
        trainee=trainee,
        session=course,
        price_cents=0,
        credit_type=apa,
        by=admin_user,
        now=datetime(2027, 6, 1, tzinfo=PACIFIC),
    )
    enrolment = Enrolment.objects.get(order_line__order=order)
    Enrolment.objects.filter(pk=enrolment.pk).update(attendance=Enrolment.Attendance.ATTENDED)
    client.force_login(trainee)
    assert "Certificate of Attendance (PDF)" not in client.get("/my/").content.decode()

    submit_evaluation(enrolment)
    attendance, ce = certificates_issue_for_enrolment(enrolment=enrolment, now=AFTER)
    html = client.get("/my/").content.decode()

    assert f'href="/certificates/{attendance.code}/pdf/"' in html
    assert f'href="/certificates/{ce.code}/pdf/"' in html
    assert "Certificate of Attendance (PDF)" in html
    assert "CE certificate (PDF, APA CE)" in html
    assert 'href="/certificates/transcript.pdf"' in html
