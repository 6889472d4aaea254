"""Behind the reverse proxy, each visitor is limited as themselves: TRUSTED_PROXY_COUNT says
how many proxies append to X-Forwarded-For, and with none trusted the header changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from registration.models import InquiryTopic
from tests.factories import PASSWORD, UserFactory
from tests.registration.flows import text

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
ALICE = "203.0.113.10"
BOB = "198.51.100.20"


def through_proxy(visitor: str, *, spoofed: str = "") -> dict:
    """What the proxy hands on: its own address as the peer, the visitor's appended to
    whatever X-Forwarded-For the visitor sent."""
    forwarded = f"{spoofed}, {visitor}" if spoofed else visitor
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def contact(client, **meta):
    return client.post(
        reverse("registration:contact_topic", args=[InquiryTopic.CERTIFICATE]),
        {"name": "Grace", "email": "grace@example.com", "message": "Hello", "website": ""},
        **meta,
    )


def sign_in(client, email, password, **meta):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **meta)


def test_one_visitors_messages_do_not_stop_another_behind_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    alice, bob = Client(), Client()
    for _ in range(5):
        assert contact(alice, **through_proxy(ALICE)).status_code == 200

    assert contact(bob, **through_proxy(BOB)).status_code == 200
    refused = contact(alice, **through_proxy(ALICE, spoofed="192.0.2.99"))
    assert refused.status_code == 429
    assert "Too many messages" in text(refused)


def test_one_clients_failed_sign_ins_do_not_lock_out_another(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    bob_account = UserFactory(verified_email=True)
    alice, bob = Client(), Client()
    for n in range(10):
        failed = sign_in(alice, f"nobody{n}@example.com", "guess", **through_proxy(ALICE))
        assert "The email address and/or password you specified are not correct" in text(failed)

    signed_in = sign_in(bob, bob_account.email, PASSWORD, **through_proxy(BOB))

    assert signed_in.status_code == 302
    assert bob.session["_auth_user_id"] == str(bob_account.pk)
    throttled = sign_in(alice, bob_account.email, PASSWORD, **through_proxy(ALICE))
    assert "Too many failed login attempts" in text(throttled)
    assert "_auth_user_id" not in alice.session


def test_without_trusted_proxies_a_forged_header_changes_nothing(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    visitor = Client()
    for n in range(5):
        forged = {"REMOTE_ADDR": ALICE, "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"}
        assert contact(visitor, **forged).status_code == 200

    forged = {"REMOTE_ADDR": ALICE, "HTTP_X_FORWARDED_FOR": "192.0.2.200"}
    assert contact(visitor, **forged).status_code == 429
    assert contact(visitor, REMOTE_ADDR=BOB).status_code == 200


@pytest.mark.parametrize(
    "forwarded",
    ["", "not an address", "203.0.113.10, 10.0.0.1, 10.0.0.2, 10.0.0.3"],
    ids=["empty", "garbage", "longer than the proxies"],
)
def test_a_missing_or_odd_header_never_fails_the_request(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 2
    response = contact(Client(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 200
    response = sign_in(Client(), "nobody@example.com", "guess", **through_proxy(ALICE))
    assert response.status_code == 200
