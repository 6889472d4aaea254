"""Practicum invitations: staff invite by email; the single-use link binds the invitation to
the signed-in trainee whose email it was sent to, who may then register for the offering.

An accepted invitation lets the trainee register until a paid order of theirs contains the
offering (see `selectors.invited_offering_ids`) or staff revoke it; the link itself expires.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Offering

from ..models import Invitation
from .emails import email_queue


class InvitationRefused(Exception):
    """The link cannot be used; the message says why, for the person holding it."""


def invitation_create(
    *, offering: Offering, email: str, by, now: datetime, days: int = 30
) -> Invitation:
    """Invite `email` to `offering` and email them the link."""
    email = email.strip()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            offering=offering,
            email=email,
            created_by=by,
            expires_at=now + timedelta(days=days),
        )
        email_queue(
            kind="invitation",
            to=email,
            key=f"invitation:{invitation.pk}",
            invitation=invitation,
        )
    return invitation


def _refusal(invitation: Invitation | None, *, trainee, now: datetime) -> str:
    """Why this trainee cannot use the invitation now; empty if they can."""
    if invitation is None:
        return _("This invitation link is not valid. Check that you copied the whole link.")
    if invitation.revoked_at is not None:
        return _(
            "This invitation was withdrawn. Please contact the training coordinator if you "
            "think this is a mistake."
        )
    if invitation.used_at is not None:
        if invitation.trainee_id == trainee.pk:
            return ""
        return _(
            "This invitation has already been used. Each invitation can be used once; please "
            "ask the training coordinator for your own."
        )
    if invitation.expires_at <= now:
        return _("This invitation expired. Please ask the training coordinator for a new one.")
    if invitation.email.casefold() != (trainee.email or "").casefold():
        return _(
            "This invitation was sent to another email address than the one of the account you "
            "are signed in with. Sign in with the account for the address the invitation was "
            "sent to."
        )
    return ""


def invitation_check(*, token: str, trainee, now: datetime) -> Invitation:
    """The invitation behind a link, if this trainee may accept it (or already did)."""
    invitation = Invitation.objects.select_related("offering").filter(token=token).first()
    reason = _refusal(invitation, trainee=trainee, now=now)
    if reason:
        raise InvitationRefused(reason)
    return invitation


def invitation_accept(*, token: str, trainee, now: datetime) -> Invitation:
    """Bind the invitation to the signed-in trainee: once, before it expires, unrevoked, and
    only from the account whose email it was sent to. Accepting again is harmless."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("offering")
            .filter(token=token)
            .first()
        )
        reason = _refusal(invitation, trainee=trainee, now=now)
        if reason:
            raise InvitationRefused(reason)
        if invitation.used_at is None:
            invitation.trainee = trainee
            invitation.used_at = now
            invitation.save(update_fields=["trainee", "used_at"])
    return invitation


def invitation_revoke(*, invitation: Invitation, now: datetime) -> bool:
    """Withdraw an invitation, used or not; True if it was revoked now."""
    return bool(
        Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(revoked_at=now)
    )
