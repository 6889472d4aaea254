"""Fixtures for the data-safety tests: a trainee's history (paid by card, one session
attended with its certificates and evaluation, one still to come). The coordinator is in
tests/conftest.py."""

from dataclasses import dataclass
from datetime import datetime

import pytest

from catalog.formatting import PACIFIC
from certificates.models import Certificate, Evaluation
from registration.models import Enrolment, Order
from registration.services.attendance import sign_times_set
from tests.evaluations import answers
from tests.registration.flows import pay, register, session_of
from tests.roster import run_action

# The morning after Module 1's June session (Mon, Jun 21, 2027, 9 AM – 5 PM PT).
AFTER_JUNE_SESSION = datetime(2027, 6, 22, 9, 0, tzinfo=PACIFIC)


@pytest.fixture(autouse=True)
def _media(media_in_tmp):
    """Rendered PDFs go to a directory of the test's own."""


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    """Sign-ins last through the months these tests move the clock across (the coordinator
    and the trainee sign in before the clock moves)."""
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600


@dataclass
class History:
    trainee: object
    order: Order
    attended: Enrolment  # Module 1 in June, attended, with both certificates
    upcoming: Enrolment  # Module 6 on Sat, Jul 24, 2027
    certificates: list[Certificate]
    evaluation: Evaluation


@pytest.fixture
def history(
    catalog,
    before_season,
    settings,
    coordinator,
    trainee,
    signed_in,
    fake_stripe,
    django_capture_on_commit_callbacks,
) -> History:
    """In January the trainee buys Module 1 (June) and Module 6 (July) with APA CE by card.
    After the June session the coordinator marks them attended and issues certificates; the
    trainee submits the course evaluation, which issues the CE certificate. PDFs are rendered."""
    user, browser, stripe_api = trainee, signed_in, fake_stripe
    browser.force_login(user)
    capture = django_capture_on_commit_callbacks
    june, july = session_of("module-1", 6), session_of("module-6", 7)
    order = register(browser, capture, june, july, ce="apa")
    pay(browser, stripe_api, capture, order)
    attended = Enrolment.objects.get(order_line__order=order, session=june)
    upcoming = Enrolment.objects.get(order_line__order=order, session=july)

    before_season.move_to(AFTER_JUNE_SESSION)
    with capture(execute=True):
        sign_times_set(
            enrolment_id=attended.pk,
            signed_in_at=june.starts_at,
            signed_out_at=june.ends_at,
            by=None,
            now=AFTER_JUNE_SESSION,
        )
        run_action(coordinator, june, "mark_attended", attended)
        run_action(coordinator, june, "issue_certificates", attended)
    with capture(execute=True):
        response = browser.post(f"/evaluations/{attended.pk}/", answers(attended))
    assert response.status_code == 302

    certificates = list(Certificate.objects.filter(enrolment=attended).order_by("kind"))
    assert [(c.kind, c.status) for c in certificates] == [("attendance", "valid"), ("ce", "valid")]
    assert all(c.pdf for c in certificates)
    return History(
        trainee=user,
        order=order,
        attended=attended,
        upcoming=upcoming,
        certificates=certificates,
        evaluation=Evaluation.objects.get(enrolment=attended),
    )
