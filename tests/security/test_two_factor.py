"""Two factors for staff: superusers, coordinators and clinical reviewers reach no admin or
staff page until they have an authenticator app, and sign in with its code (or a recovery
code) every time, whichever sign-in page they use. Trainees may add one if they wish."""

import base64
import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import auth
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from registration.roles import CLINICAL_REVIEWER, COORDINATOR
from tests.factories import (
    PASSWORD,
    StaffFactory,
    TraineeFactory,
    UserFactory,
    login_staff,
    totp_code,
)
from tests.registration.flows import text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

ADMIN_PAGES = [
    "/admin/",
    "/admin/registration/order/",
    "/admin/catalog/session/",
    "/admin/password_change/",
]
ENROL = "/accounts/2fa/totp/activate/"
AUTHENTICATE = "/accounts/2fa/authenticate/"


def admin_sign_in(client, user, password=PASSWORD, next_page="/admin/"):
    """Django admin's own sign-in form, username and password."""
    return client.post(
        f"/admin/login/?next={next_page}",
        {"username": user.username, "password": password, "next": next_page},
    )


def site_sign_in(client, user, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def signed_in_user(client):
    return auth.get_user(client)


def secret_shown(page) -> str:
    """The key the enrolment page shows for typing into an app by hand."""
    match = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode())
    assert match, "no secret on the page"
    return match[1]


def enrolment_page(client):
    """The page to set up an authenticator app, after confirming the password as allauth asks
    before any change to the second factor."""
    page = client.get(ENROL)
    if page.status_code == 302:
        assert page["Location"].startswith(reverse("account_reauthenticate"))
        assert "Confirm" in text(client.get(page["Location"]))
        confirmed = client.post(page["Location"], {"password": PASSWORD})
        assert confirmed["Location"] == ENROL
        page = client.get(ENROL)
    assert page.status_code == 200, page
    return page


@pytest.fixture
def enrol():
    """Through the enrolment page, as a person with an authenticator app would."""

    def enrol_on(client):
        page = enrolment_page(client)
        secret = secret_shown(page)
        done = client.post(ENROL, {"code": totp_code(secret)})
        assert done.status_code == 302, done
        shown = client.get(done["Location"])
        assert shown.status_code == 200
        return secret, shown

    return enrol_on


def recovery_codes_shown(page) -> list[str]:
    match = re.search(r'<textarea[^>]*id="recovery_codes"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no recovery codes on the page"
    return match[1].split()


# --------------------------------------------------------------------------------------
# Staff without a second factor
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "superuser", "page"),
    [
        ((COORDINATOR,), False, "/admin/"),
        ((), True, "/admin/"),
        ((CLINICAL_REVIEWER,), False, "/staff/intakes/"),
    ],
    ids=["coordinator", "superuser", "clinical reviewer"],
)
def test_staff_without_a_second_factor_are_sent_to_set_one_up(
    client, roles, superuser, page, enrol
):
    user = StaffFactory(roles=roles, is_superuser=superuser, second_factor=False)
    assert site_sign_in(client, user).status_code == 302

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == ENROL
    assert "Staff pages need two-factor authentication" in text(client.get(ENROL, follow=True))
    shown = enrolment_page(client)
    assert "Scan this QR code" in text(shown)
    enrol(client)
    assert client.get(page).status_code == 200


def test_an_old_session_confirms_the_password_before_setting_up(client, enrol):
    coordinator = StaffFactory(roles=[COORDINATOR], second_factor=False)
    client.force_login(coordinator)  # signed in before two factors were required
    assert client.get("/admin/")["Location"] == ENROL
    enrol(client)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_no_admin_page_answers_a_coordinator_without_a_second_factor(client, page):
    client.force_login(StaffFactory(roles=[COORDINATOR], second_factor=False))
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == ENROL
    posted = client.post(page, {})
    assert posted.status_code == 302 and posted["Location"] == ENROL


def test_a_coordinator_signs_in_at_the_admin_enrols_and_reaches_the_admin(client, enrol):
    coordinator = StaffFactory(roles=[COORDINATOR], second_factor=False)

    response = admin_sign_in(client, coordinator)
    assert response.status_code == 302
    assert client.get("/admin/")["Location"] == ENROL

    page = enrolment_page(client)
    html = page.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    svg = base64.b64decode(re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)[1])
    assert b"<svg" in svg and b"<path" in svg and b"style=" not in svg
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html)

    wrong = client.post(ENROL, {"code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right" in text(wrong)
    assert not Authenticator.objects.filter(user=coordinator).exists()

    _secret, done = enrol(client)
    codes = recovery_codes_shown(done.content.decode())
    assert len(codes) == 10 and all(re.fullmatch(r"\d{8}", code) for code in codes)
    assert "Keep these recovery codes" in text(done)
    assert "Continue to the admin" in text(done)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/registration/order/").status_code == 200


# --------------------------------------------------------------------------------------
# Signing in with the second factor
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sign_in", [admin_sign_in, site_sign_in], ids=["admin", "site"])
def test_staff_sign_in_asks_for_the_code_and_refuses_a_wrong_one(client, sign_in):
    coordinator = StaffFactory(roles=[COORDINATOR])

    response = sign_in(client, coordinator)

    assert response.status_code == 302
    assert response["Location"] == AUTHENTICATE
    assert signed_in_user(client).is_anonymous
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    page = client.get(AUTHENTICATE)
    assert "Enter the 6-digit code from your authenticator app" in text(page)

    wrong = client.post(AUTHENTICATE, {"code": "123456"})
    assert "That code is not right" in text(wrong)
    assert signed_in_user(client).is_anonymous

    right = client.post(AUTHENTICATE, {"code": totp_code(coordinator)})
    assert right.status_code == 302
    assert signed_in_user(client) == coordinator
    assert client.get("/admin/").status_code == 200


def test_the_admin_sign_in_returns_to_the_page_asked_for(client):
    coordinator = StaffFactory(roles=[COORDINATOR])
    admin_sign_in(client, coordinator, next_page="/admin/registration/order/")
    right = client.post(AUTHENTICATE, {"code": totp_code(coordinator)})
    assert right["Location"] == "/admin/registration/order/"


def test_the_admin_sign_in_refuses_a_wrong_password_and_trainees(client):
    coordinator = StaffFactory(roles=[COORDINATOR])
    wrong = admin_sign_in(client, coordinator, password="not it")
    assert wrong.status_code == 200
    assert "Please enter the correct username and password" in text(wrong)
    trainee = UserFactory(verified_email=True)
    refused = admin_sign_in(client, trainee)
    assert refused.status_code == 200
    assert signed_in_user(client).is_anonymous


def test_a_code_is_accepted_once(client):
    coordinator = StaffFactory(roles=[COORDINATOR])
    admin_sign_in(client, coordinator)
    code = totp_code(coordinator)
    client.post(AUTHENTICATE, {"code": code})
    client.post(reverse("account_logout"))

    other = Client()
    admin_sign_in(other, coordinator)
    replayed = other.post(AUTHENTICATE, {"code": code})

    assert "That code is not right" in text(replayed)
    assert signed_in_user(other).is_anonymous


def test_a_recovery_code_signs_in_once(client):
    coordinator = StaffFactory(roles=[COORDINATOR])
    first, second = coordinator.recovery_codes[:2]

    admin_sign_in(client, coordinator)
    assert client.post(AUTHENTICATE, {"code": first}).status_code == 302
    assert signed_in_user(client) == coordinator
    assert client.get("/admin/").status_code == 200
    client.post(reverse("account_logout"))

    admin_sign_in(client, coordinator)
    used = client.post(AUTHENTICATE, {"code": first})
    assert "That code is not right" in text(used)
    assert signed_in_user(client).is_anonymous
    assert client.post(AUTHENTICATE, {"code": second}).status_code == 302
    assert signed_in_user(client) == coordinator


def test_a_session_signed_in_without_the_code_is_asked_for_it(client):
    reviewer = StaffFactory(roles=[CLINICAL_REVIEWER], is_staff=False)
    client.force_login(reviewer)  # as a session from before two factors were required

    response = client.get("/staff/intakes/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=/staff/intakes/"
    page = client.get(response["Location"])
    assert "Staff pages need the code from your authenticator app" in text(page)
    confirmed = client.post(response["Location"], {"code": totp_code(reviewer)})
    assert confirmed["Location"] == "/staff/intakes/"
    assert client.get("/staff/intakes/").status_code == 200


def test_failed_codes_are_throttled(client):
    coordinator = StaffFactory(roles=[COORDINATOR])
    admin_sign_in(client, coordinator)
    for _ in range(5):
        client.post(AUTHENTICATE, {"code": "000000"})
    throttled = client.post(AUTHENTICATE, {"code": totp_code(coordinator)})
    assert "Too many failed login attempts" in text(throttled)
    assert signed_in_user(client).is_anonymous


# --------------------------------------------------------------------------------------
# Staff keep their factor; a superuser removes a lost one
# --------------------------------------------------------------------------------------


def test_staff_who_remove_their_authenticator_set_up_another_before_the_admin(client, enrol):
    coordinator = StaffFactory(roles=[COORDINATOR])
    login_staff(client, coordinator)
    assert "Remove the authenticator app" in text(client.get("/accounts/2fa/"))

    asked = client.post("/accounts/2fa/totp/deactivate/", {})
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert Authenticator.objects.filter(user=coordinator).exists()
    client.post(asked["Location"], {"password": PASSWORD})  # then the removal goes on

    assert not Authenticator.objects.filter(user=coordinator).exists()
    assert client.get("/admin/")["Location"] == ENROL
    enrol(client)
    assert client.get("/admin/").status_code == 200


def test_a_superuser_removes_a_lost_authenticator_and_the_owner_enrols_again(client, enrol):
    coordinator = StaffFactory(roles=[COORDINATOR])

    call_command("second_factor_remove", coordinator.username)

    assert not Authenticator.objects.filter(user=coordinator).exists()
    response = admin_sign_in(client, coordinator)
    assert response["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == ENROL
    enrol(client)
    assert client.get("/admin/").status_code == 200


def test_the_removal_command_names_what_it_cannot_find():
    with pytest.raises(CommandError, match="No account nobody"):
        call_command("second_factor_remove", "nobody")


# --------------------------------------------------------------------------------------
# Trainees
# --------------------------------------------------------------------------------------


def test_trainees_need_no_second_factor_and_may_add_one(client, enrol):
    trainee = TraineeFactory(legal_name="Ada Trainee", verified_email=True)
    assert site_sign_in(client, trainee)["Location"] == reverse("registration:my_trainings")
    profile = client.get(reverse("registration:profile"))
    assert "Two-factor authentication" in text(profile)
    assert "/accounts/2fa/" in profile.content.decode()
    overview = client.get("/accounts/2fa/")
    assert "Set up an authenticator app" in text(overview)

    enrol(client)
    client.post(reverse("account_logout"))
    assert site_sign_in(client, trainee)["Location"] == AUTHENTICATE


def test_a_trainee_may_remove_their_authenticator(client, before_season, enrol):
    trainee = UserFactory(verified_email=True)
    site_sign_in(client, trainee)
    enrol(client)
    before_season.shift(timedelta(seconds=1))
    client.post("/accounts/2fa/totp/deactivate/", {})
    assert not Authenticator.objects.filter(user=trainee, type="totp").exists()


def test_the_test_suites_staff_login_reaches_the_admin(admin_client):
    assert admin_client.get("/admin/").status_code == 200
