"""Fixtures for registration: Module 1's June session and its roster (tests.roster). People,
fake Stripe and the clock come from tests/conftest.py."""

import pytest

from catalog.models import Session
from registration.models import Enrolment
from tests.roster import SESSION_START, enrol, trainee


@pytest.fixture
def session() -> Session:
    """Module 1 on Mon, Jun 21, 2027, 9:00 AM – 5:00 PM PT."""
    return Session.objects.select_related("offering").get(
        offering__slug="module-1", starts_at=SESSION_START
    )


@pytest.fixture
def roster(session) -> dict[str, Enrolment]:
    """Four on the roster (one unpaid), and two who are not: cancelled, or another date."""
    other_date = Session.objects.get(offering__slug="module-1", starts_at__month=10)
    return {
        "cho": enrol(session, trainee("Dana Cho", credentials="PhD", profession="psychologist",
                                      license_number="PSY 31415"), credit="apa"),
        "abara": enrol(session, trainee("Ada Abara", profession="rn", credentials="RN",
                                        license_number="RN 95001"), credit="brn"),
        "bell": enrol(session, trainee("Ben Bell"), method="complimentary"),
        "diaz": enrol(session, trainee("Eva Diaz"), status="held", method="offline"),
        "cancelled": enrol(session, trainee("Carl Gone"), status="cancelled"),
        "elsewhere": enrol(other_date, trainee("Fay Later")),
    }  # fmt: skip
