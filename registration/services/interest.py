"""Interest lists: a visitor signs up for an offering whose dates are to be announced,
confirms by double opt-in, and is emailed once for each session staff then publish.

Links carry the signup's unguessable token; replaying one is harmless.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Offering, Session

from ..models import InterestNotification, InterestSignup
from .emails import email_queue


class InterestLinkRefused(Exception):
    """The link cannot be used; the message says why, for the person holding it."""


def interest_signup(*, offering: Offering, name: str, email: str, now: datetime) -> InterestSignup:
    """Put `email` on the offering's list, unconfirmed, and email the confirmation link.

    Signing up again while unconfirmed sends the link again; once confirmed, nothing happens
    (the page says the same either way, so it tells nobody who is on the list).
    """
    email = email.strip().lower()
    name = name.strip()
    with transaction.atomic():
        signup = (
            InterestSignup.objects.select_for_update()
            .filter(offering=offering, email=email, unsubscribed_at__isnull=True)
            .first()
        )
        if signup is None:
            try:
                with transaction.atomic():
                    signup = InterestSignup.objects.create(
                        offering=offering, name=name, email=email, created_at=now
                    )
            except IntegrityError:  # the same address signed up at the same moment
                return InterestSignup.objects.get(
                    offering=offering, email=email, unsubscribed_at__isnull=True
                )
        if signup.confirmed_at is None:
            # Each signup while unconfirmed sends the link again (the signup is locked).
            sent = signup.emails.filter(kind="interest_confirm").count()
            email_queue(
                kind="interest_confirm",
                to=email,
                key=f"interest_confirm:{signup.pk}:{sent + 1}",
                interest_signup=signup,
            )
    return signup


def _locked(token: str) -> InterestSignup:
    signup = (
        InterestSignup.objects.select_for_update(of=("self",))
        .select_related("offering")
        .filter(token=token)
        .first()
    )
    if signup is None:
        raise InterestLinkRefused(
            _("This link is not valid. Check that you copied the whole link from the email.")
        )
    return signup


def interest_check(*, token: str) -> InterestSignup:
    """The signup behind a link, before the visitor confirms or unsubscribes."""
    signup = InterestSignup.objects.select_related("offering").filter(token=token).first()
    if signup is None:
        raise InterestLinkRefused(
            _("This link is not valid. Check that you copied the whole link from the email.")
        )
    return signup


def interest_confirm(*, token: str, now: datetime) -> tuple[InterestSignup, bool]:
    """Confirm the signup; True if confirmed now, False if it already was."""
    with transaction.atomic():
        signup = _locked(token)
        if signup.unsubscribed_at is not None:
            raise InterestLinkRefused(
                _("You unsubscribed from this list. To hear about dates again, sign up again.")
            )
        if signup.confirmed_at is not None:
            return signup, False
        signup.confirmed_at = now
        signup.save(update_fields=["confirmed_at"])
    return signup, True


def interest_unsubscribe(*, token: str, now: datetime) -> tuple[InterestSignup, bool]:
    """Take the signup off the list; True if unsubscribed now, False if it already was."""
    with transaction.atomic():
        signup = _locked(token)
        if signup.unsubscribed_at is not None:
            return signup, False
        signup.unsubscribed_at = now
        signup.save(update_fields=["unsubscribed_at"])
    return signup, True


def interest_notify_published(*, now: datetime) -> int:
    """Email every confirmed, subscribed signup once about each scheduled, upcoming session of
    their offering; the number of emails queued. Running it twice sends nothing more."""
    pending = (
        InterestSignup.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .filter(
            offering__sessions__status=Session.Status.SCHEDULED,
            offering__sessions__starts_at__gt=now,
        )
        .values_list("pk", "offering__sessions__pk")
        .order_by("pk", "offering__sessions__pk")
    )
    done = set(
        InterestNotification.objects.filter(
            signup__confirmed_at__isnull=False, signup__unsubscribed_at__isnull=True
        ).values_list("signup_id", "session_id")
    )
    queued = 0
    for signup_id, session_id in pending:
        if (signup_id, session_id) not in done:
            queued += _notify(signup_id=signup_id, session_id=session_id, now=now)
    return queued


def _notify(*, signup_id: int, session_id: int, now: datetime) -> int:
    with transaction.atomic():
        signup = (
            InterestSignup.objects.select_for_update()
            .filter(pk=signup_id, confirmed_at__isnull=False, unsubscribed_at__isnull=True)
            .first()
        )
        if signup is None:
            return 0
        notification, created = InterestNotification.objects.get_or_create(
            signup=signup, session_id=session_id, defaults={"sent_at": now}
        )
        if not created:
            return 0
        email_queue(
            kind="interest_published",
            to=signup.email,
            key=f"interest_published:{notification.pk}",
            interest_notification=notification,
        )
    return 1
