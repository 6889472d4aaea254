"""The trainee profile that certificates and CE eligibility rely on."""

import pytest

from registration.models import TraineeProfile
from tests.factories import UserFactory

from .flows import error_summary, text

PROFILE = {
    "legal_name": "Dana Q. Rivera",
    "credentials": "LMFT",
    "profession": "lmft",
    "license_number": "LMFT 123456",
    "license_state": "CA",
}


@pytest.fixture
def newcomer(client, make_trainee):
    user = UserFactory()
    client.force_login(user)
    return user


def test_saving_the_profile_returns_to_the_cart(client, newcomer):
    response = client.post("/account/profile/?next=/cart/", PROFILE)

    assert response.status_code == 302 and response["Location"] == "/cart/"
    profile = TraineeProfile.objects.get(user=newcomer)
    assert (profile.legal_name, profile.profession, profile.is_complete) == (
        "Dana Q. Rivera",
        "lmft",
        True,
    )


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"]
)
def test_saving_the_profile_never_redirects_off_the_site(client, newcomer, next_url):
    response = client.post(f"/account/profile/?next={next_url}", PROFILE)

    # Off-site addresses are ignored: the trainee, with nothing in the cart, goes to My trainings.
    assert response.status_code == 302 and response["Location"] == "/my/"


def test_a_license_number_without_its_state_is_an_error_by_the_field(client, newcomer):
    response = client.post("/account/profile/", dict(PROFILE, license_state=""))

    assert response.status_code == 400
    assert "Choose the state that issued your license." in error_summary(response)
    assert not TraineeProfile.objects.filter(user=newcomer).exists()


def test_my_trainings_shows_the_profile(client, newcomer):
    client.post("/account/profile/", PROFILE)

    page = text(client.get("/my/"))

    assert "Dana Q. Rivera, LMFT" in page and "license LMFT 123456 (CA)" in page
