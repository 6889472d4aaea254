"""Fixtures for certificates: trainees with licenses, attended enrolments of ended sessions,
submitted evaluations, the seed's credit types (BRN with its signature image), and PDF text."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from catalog.models import CreditType, OfferingCredit
from registration.models import Enrolment
from tests.factories import FIRST_SESSION_START, EnrolmentFactory, OfferingFactory, SessionFactory
from tests.pdfs import png_image


@pytest.fixture(autouse=True)
def _media(media_in_tmp):
    """Rendered PDFs and signature images go to a directory of the test's own."""


@pytest.fixture
def apa(db):
    return CreditType.objects.get(code="apa")


@pytest.fixture
def brn(db):
    """The seed's BRN credit type, with the co-sponsor's signature configured by staff."""
    brn = CreditType.objects.get(code="brn")
    brn.provider_address = "2201 Broadway, Oakland, CA 94612"
    brn.signatory = "Jane Rowan, RN, Director of Continuing Education"
    brn.signature.save("scrc-signature.png", ContentFile(png_image()), save=False)
    brn.save()
    return brn


@pytest.fixture
def course(db):
    """A one-day course on Mon, Jun 21, 2027 carrying 8 APA credits and 8 BRN contact hours."""
    offering = OfferingFactory(
        kind="module", number=None, title="Foundations of Ketamine-Assisted Psychotherapy"
    )
    for code in ("apa", "brn"):
        OfferingCredit.objects.create(
            offering=offering,
            credit_type=CreditType.objects.get(code=code),
            credits=Decimal("8"),
            fee_cents=7900,
        )
    return SessionFactory(offering=offering, starts_at=FIRST_SESSION_START)


@pytest.fixture
def attended(course, make_trainee):
    """An attended, confirmed enrolment in the course, with the CE credit type given."""

    def make(*, trainee=None, credit_type=None, profession="psychologist", **fields):
        trainee = trainee or make_trainee(profession=profession)
        fields = {
            "session": course,
            "status": Enrolment.Status.CONFIRMED,
            "attendance": Enrolment.Attendance.ATTENDED,
            **fields,
        }
        return EnrolmentFactory(trainee=trainee, credit_type=credit_type, **fields)

    return make
