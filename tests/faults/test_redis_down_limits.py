"""The rate limits hold while Redis is down or hung: each web process counts in its own memory
until Redis answers again, rather than letting every attempt through."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from registration.models import InquiryTopic
from registration.roles import COORDINATOR
from tests.factories import PASSWORD, StaffFactory, UserFactory, totp_code
from tests.processes import free_port, hung_server
from tests.registration.flows import text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]


@pytest.fixture
def hung_redis():
    """A Redis that accepts connections and never answers."""
    with hung_server() as port:
        yield f"redis://127.0.0.1:{port}/0"


@pytest.fixture(params=["stopped", "hung"])
def unreachable_redis(request, settings):
    """The cache pointed at a Redis that refuses connections, or at one that never answers."""
    if request.param == "stopped":
        url = f"redis://127.0.0.1:{free_port()}/0"
    else:
        url = request.getfixturevalue("hung_redis")
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "polaris.cache.RedisCache",
            "LOCATION": url,
        },
    }
    assert cache.get("anything") is None  # unreachable, and no error
    return url


def test_failed_sign_ins_are_still_throttled_while_redis_is_unreachable(unreachable_redis):
    user = UserFactory(verified_email=True)
    browser = Client()
    for _ in range(15):
        browser.post(reverse("account_login"), {"login": user.email, "password": "wrong"})

    response = browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert "Too many failed login attempts" in text(response)
    assert "_auth_user_id" not in browser.session


def test_contact_messages_are_still_limited_while_redis_is_unreachable(unreachable_redis):
    visitor = Client()
    path = reverse("registration:contact_topic", args=[InquiryTopic.CERTIFICATE])
    data = {"name": "Grace", "email": "grace@example.com", "message": "Hello", "website": ""}
    statuses = [visitor.post(path, data, REMOTE_ADDR="203.0.113.7").status_code for _ in range(6)]

    assert statuses == [200] * 5 + [429]


def test_catalog_pages_are_served_while_redis_is_unreachable(unreachable_redis, client):
    assert client.get("/").status_code == 200
    assert client.get("/trainings/module-1/").status_code == 200


def test_an_authenticator_code_is_still_accepted_once_while_redis_is_unreachable(
    unreachable_redis,
):
    coordinator = StaffFactory(roles=[COORDINATOR])
    code = totp_code(coordinator)
    first, second = Client(), Client()
    for browser in (first, second):
        browser.post("/admin/login/", {"username": coordinator.username, "password": PASSWORD})

    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    replayed = second.post("/accounts/2fa/authenticate/", {"code": code})

    assert "That code is not right" in text(replayed)
    assert "_auth_user_id" not in second.session
