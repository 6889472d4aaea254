"""Fixtures for registration: trainees with profiles, and Stripe faked at the HTTP level."""

import pytest

from registration.models import TraineeProfile
from tests.conftest import point_stripe_at
from tests.factories import UserFactory
from tests.fakes.stripe_server import FakeStripe


@pytest.fixture
def make_trainee(db):
    def make(*, profession="psychologist", state="CA", complete=True, **user_fields):
        user = UserFactory(**user_fields)
        if complete:
            TraineeProfile.objects.create(
                user=user,
                legal_name=f"{user.first_name} {user.last_name}",
                credentials="PhD" if profession == "psychologist" else "",
                profession=profession,
                license_number="PSY 12345" if profession != "other" else "",
                license_state=state if profession != "other" else "",
            )
        return user

    return make


@pytest.fixture
def trainee(make_trainee):
    return make_trainee()


@pytest.fixture
def signed_in(client, trainee):
    client.force_login(trainee)
    return client


@pytest.fixture
def fake_stripe(settings):
    """The real stripe library, talking to a local fake of Stripe's API."""
    with FakeStripe() as fake:
        point_stripe_at(settings, fake, timeout_seconds=3)
        yield fake
