"""Repeated failed sign-ins are slowed down (django-allauth's rate limits, in the cache)."""

import pytest

from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_sixth_failed_login_for_one_address_is_refused(client):
    user = UserFactory(email="nurse@example.com", verified_email=True)
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
