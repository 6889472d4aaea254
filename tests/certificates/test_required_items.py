"""A CE certificate carries every item its credit type requires (BRN: 16 CCR §1458(b)), or it
is not issued: the refusal names what is missing, and the admin dashboard shows it before
anyone tries to issue."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from catalog.models import CreditType, OfferingCredit
from certificates.models import Certificate
from certificates.services.issuing import CertificateRefused, certificate_issue, certificate_reissue
from registration.models import TraineeProfile
from tests.evaluations import AFTER, submit_evaluation
from tests.pdfs import png_image

CE = Certificate.Kind.CE

# What 16 CCR §1458(b) asks of a BRN certificate, as the seed's BRN credit type declares it.
BRN_ITEMS = {
    "provider_name",
    "provider_address",
    "provider_number",
    "licensee_name",
    "license_number",
    "course_title",
    "credits",
    "date",
    "retention_statement",
    "signature",
}


def _blank_credit_type(field):
    def blank(enrolment, brn):
        setattr(brn, field, "")
        brn.save()

    return blank


def _blank_profile(field):
    def blank(enrolment, brn):
        TraineeProfile.objects.filter(user=enrolment.trainee).update(**{field: ""})

    return blank


def _blank_course_title(enrolment, brn):
    offering = enrolment.session.offering
    offering.title = ""
    offering.save()


def _no_contact_hours(enrolment, brn):
    OfferingCredit.objects.filter(offering=enrolment.session.offering, credit_type=brn).delete()


def _undated_session(enrolment, brn):
    session = enrolment.session
    session.starts_at = session.ends_at = None
    session.status = "tba"
    session.save()


# How each item goes missing in ordinary use, and what the coordinator is told.
MISSING = {
    "provider_name": (_blank_credit_type("provider_name"), "provider name missing"),
    "provider_address": (_blank_credit_type("provider_address"), "provider address missing"),
    "provider_number": (_blank_credit_type("provider_number"), "provider number missing"),
    "retention_statement": (
        _blank_credit_type("retention_statement"),
        "retention sentence missing",
    ),
    "signature": (_blank_credit_type("signature"), "signature missing"),
    "licensee_name": (_blank_profile("legal_name"), "licensee name missing"),
    "license_number": (_blank_profile("license_number"), "license number missing"),
    "course_title": (_blank_course_title, "course title missing"),
    "credits": (_no_contact_hours, "contact hours missing"),
    # An ended session always has its date: without one, it has not ended.
    "date": (_undated_session, None),
}


def test_the_seeds_brn_credit_type_declares_every_1458b_item(brn):
    assert set(brn.certificate_items) == BRN_ITEMS
    assert set(MISSING) == BRN_ITEMS


@pytest.mark.parametrize("item", sorted(BRN_ITEMS))
def test_no_brn_certificate_while_any_one_item_is_missing(item, attended, brn):
    enrolment = attended(credit_type=brn, profession="rn")
    submit_evaluation(enrolment)
    blank, missing = MISSING[item]
    blank(enrolment, brn)

    with pytest.raises(CertificateRefused) as refused:
        certificate_issue(enrolment=enrolment, kind=CE, now=AFTER)

    reason = refused.value.args[0]
    if missing is None:
        assert reason == "The session has not ended yet."
    else:
        assert reason == f"BRN certificate refused: {missing}."
    assert not Certificate.objects.filter(kind=CE).exists()


def test_the_refusal_names_every_missing_item_and_issuing_goes_ahead_once_they_are_in(
    attended, brn
):
    enrolment = attended(credit_type=brn, profession="rn")
    submit_evaluation(enrolment)
    address = brn.provider_address
    brn.provider_address = ""
    brn.signature = ""
    brn.save()

    with pytest.raises(CertificateRefused) as refused:
        certificate_issue(enrolment=enrolment, kind=CE, now=AFTER)
    assert refused.value.args[0] == (
        "BRN certificate refused: provider address missing, signature missing."
    )

    brn.refresh_from_db()
    brn.provider_address = address
    brn.save()
    brn.signature.save("signature.png", ContentFile(png_image()))
    certificate = certificate_issue(enrolment=enrolment, kind=CE, now=AFTER)
    assert certificate.credit_type == brn


def test_a_correction_is_refused_too_while_an_item_is_missing(attended, brn, admin_user):
    enrolment = attended(credit_type=brn, profession="rn")
    submit_evaluation(enrolment)
    certificate = certificate_issue(enrolment=enrolment, kind=CE, now=AFTER)
    brn.provider_address = ""
    brn.save()

    with pytest.raises(CertificateRefused) as refused:
        certificate_reissue(
            certificate=certificate, legal_name="Maria Lopez", by=admin_user, now=AFTER
        )

    assert refused.value.args[0] == "BRN certificate refused: provider address missing."
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID


def test_the_seeds_brn_credit_type_is_blocked_on_the_dashboard_until_staff_complete_it(
    admin_client, db
):
    brn = CreditType.objects.get(code="brn")
    assert brn.provider_address == ""  # the customer's text gives no address for SCRC

    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "BRN certificates blocked: provider address missing, signature missing" in page
    assert reverse("admin:catalog_credittype_change", args=[brn.pk]) in page
    assert "APA certificates blocked" not in page
