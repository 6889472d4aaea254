"""Practicum invitations: staff invite by email; the single-use link lets that trainee
register; used, expired, revoked or other-account links are refused with a clear message."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offering
from registration.models import Invitation
from registration.roles import COORDINATOR
from registration.selectors import invited_offering_ids
from registration.services.invitations import invitation_create, invitation_revoke
from tests.factories import OfferingFactory, SessionFactory, StaffFactory, login_staff

from .flows import add_to_cart, cart_page, paid_order, place_order, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


@pytest.fixture
def practicum():
    offering = OfferingFactory(
        kind=Offering.Kind.PRACTICUM,
        title="Practicum",
        access_rule=Offering.Access.INVITATION,
        tuition_cents=50000,
        admin_fee_cents=0,
    )
    SessionFactory(offering=offering)
    return offering


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    def make(offering, email, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return invitation_create(
                offering=offering, email=email, by=None, now=timezone.now(), **kwargs
            )

    return make


def link_in(message) -> str:
    return re.search(r"https?://\S+(/invitations/\S+/)", message.body)[1]


def test_invitation_lifecycle_lets_the_invited_trainee_register(
    signed_in, trainee, practicum, invite, mailoutbox, django_capture_on_commit_callbacks
):
    invite(practicum, trainee.email.upper())

    (message,) = mailoutbox
    assert message.to == [trainee.email.upper()]
    assert "invitation to Practicum" in message.subject
    link = link_in(message)

    page = signed_in.get(link)
    assert page.status_code == 200
    assert "Accept the invitation" in text(page)
    accepted = signed_in.post(link, follow=True)
    assert accepted.redirect_chain[-1][0] == practicum.get_absolute_url()
    assert "you can now register" in text(accepted)

    add_to_cart(signed_in, practicum.sessions.get())
    assert "by invitation only" not in cart_page(signed_in)
    response = place_order(signed_in, django_capture_on_commit_callbacks, "offline")
    assert response.status_code == 302
    assert trainee.orders.get().status == "pending"


def test_without_invitation_the_page_says_so_and_the_cart_refuses(
    signed_in, trainee, practicum, django_capture_on_commit_callbacks
):
    page = signed_in.get(practicum.get_absolute_url())
    assert "By invitation only" in text(page)

    add_to_cart(signed_in, practicum.sessions.get())
    assert "Practicum is by invitation only" in text(cart_page(signed_in))
    refused = place_order(signed_in, django_capture_on_commit_callbacks, "offline")
    assert refused.status_code == 302
    assert not trainee.orders.exists()


def refusal(client, link) -> str:
    response = client.get(link)
    assert response.status_code == 403
    posted = client.post(link)
    assert posted.status_code == 403
    return text(response)


def test_a_used_link_is_refused_to_another_account(
    client, make_trainee, practicum, invite, mailoutbox
):
    first = make_trainee()
    invitation = invite(practicum, first.email)
    client.force_login(first)
    client.post(invitation.get_absolute_url())

    other = make_trainee()
    client.force_login(other)
    assert "already been used" in refusal(client, invitation.get_absolute_url())
    assert practicum.pk not in invited_offering_ids(trainee=other)
    invitation.refresh_from_db()
    assert invitation.trainee == first


def test_a_link_opened_from_another_account_is_refused(client, make_trainee, practicum, invite):
    invitation = invite(practicum, "invited@example.com")
    stranger = make_trainee()
    client.force_login(stranger)
    assert "another email address" in refusal(client, invitation.get_absolute_url())
    invitation.refresh_from_db()
    assert invitation.used_at is None and invitation.trainee is None


def test_an_expired_link_is_refused(signed_in, trainee, practicum, invite, before_season):
    invitation = invite(practicum, trainee.email, days=3)
    before_season.shift(timedelta(days=4))
    assert "expired" in refusal(signed_in, invitation.get_absolute_url())
    assert practicum.pk not in invited_offering_ids(trainee=trainee)


def test_a_revoked_invitation_is_refused_and_no_longer_lets_register(
    signed_in, trainee, practicum, invite
):
    invitation = invite(practicum, trainee.email)
    signed_in.post(invitation.get_absolute_url())
    assert practicum.pk in invited_offering_ids(trainee=trainee)

    assert invitation_revoke(invitation=invitation, now=timezone.now())
    assert not invitation_revoke(invitation=invitation, now=timezone.now())
    assert "withdrawn" in refusal(signed_in, invitation.get_absolute_url())
    add_to_cart(signed_in, practicum.sessions.get())
    assert "Practicum is by invitation only" in text(cart_page(signed_in))


def test_an_unknown_token_is_refused(signed_in):
    assert "not valid" in refusal(signed_in, "/invitations/not-a-token/")


def test_the_link_needs_a_signed_in_account(client, practicum, invite):
    invitation = invite(practicum, "someone@example.com")
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_paid_order_consumes_the_invitation(signed_in, trainee, practicum, invite):
    invitation = invite(practicum, trainee.email)
    signed_in.post(invitation.get_absolute_url())

    paid_order(trainee, practicum.sessions.get())

    assert practicum.pk not in invited_offering_ids(trainee=trainee)


def test_tokens_are_long_and_distinct(practicum, invite):
    tokens = {invite(practicum, f"p{n}@example.com").token for n in range(5)}
    assert len(tokens) == 5 and all(len(token) >= 40 for token in tokens)


def test_coordinator_invites_and_revokes_in_admin(
    client, practicum, mailoutbox, django_capture_on_commit_callbacks
):
    coordinator = StaffFactory(roles=[COORDINATOR])
    login_staff(client, coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:registration_invitation_add"),
            {"offering": practicum.pk, "email": "new@example.com", "days": 14},
        )
    assert response.status_code == 302, response.content
    invitation = Invitation.objects.get()
    assert invitation.created_by == coordinator
    assert invitation.expires_at - timezone.now() == timedelta(days=14)
    assert [m.to for m in mailoutbox] == [["new@example.com"]]

    listing = client.get(reverse("admin:registration_invitation_changelist"))
    assert "Sent, not yet accepted" in text(listing)

    client.post(
        reverse("admin:registration_invitation_changelist"),
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )
    listing = client.get(reverse("admin:registration_invitation_changelist"))
    assert "Revoked" in text(listing)
