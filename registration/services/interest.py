"""Interest lists: a visitor signs up for an offering whose dates are to be announced,
confirms by double opt-in, and is emailed once for each session staff then publish.

Links carry the signup's unguessable token; replaying one is harmless.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Offering, Session
from polaris.ratelimit import rate_take

from ..models import AddressEmail, InterestNotification, InterestSignup
from .emails import email_queue
from .flood import address_email_release, address_email_take
from .submissions import submission_record

SIGNUPS_PER_HOUR = 10


class InterestLinkRefused(Exception):
    """The link cannot be used; the message says why, for the person holding it."""


def interest_rate_take(*, client: str) -> bool:
    """Count one signup from this client in the current hour; False once over the limit."""
    return rate_take(action="interest", client=client, limit=SIGNUPS_PER_HOUR, period_seconds=3600)


def interest_signup(
    *, offering: Offering, name: str, email: str, now: datetime, submission: str = ""
) -> InterestSignup:
    """Put `email` on the offering's list, unconfirmed, and email the confirmation link.

    Anyone can type anyone's address: the link goes at most once a day to an address while it
    is unconfirmed, whichever lists it joins, and one link confirms them all. Once confirmed,
    signing up again does nothing (the page says the same either way, so it tells nobody who
    is on the list). The same form sent twice (its `submission` token, the same values)
    does nothing the second time.
    """
    email = email.strip().lower()
    name = name.strip()
    with transaction.atomic():
        new = submission_record(
            form="interest",
            token=submission,
            values={"offering": offering.pk, "name": name, "email": email},
            now=now,
        )
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
            new = True
        if (
            new
            and signup.confirmed_at is None
            and address_email_take(purpose=AddressEmail.Purpose.INTEREST, email=email, now=now)
        ):
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


def interest_confirm(*, token: str, now: datetime) -> tuple[InterestSignup, list[InterestSignup]]:
    """Confirm the signup, and every other unconfirmed list its address joined (the one link
    a day stands for them all); the signups confirmed now, none if it already was."""
    with transaction.atomic():
        signup = _locked(token)
        if signup.unsubscribed_at is not None:
            raise InterestLinkRefused(
                _("You unsubscribed from this list. To hear about dates again, sign up again.")
            )
        if signup.confirmed_at is not None:
            return signup, []
        confirmed = list(
            InterestSignup.objects.select_for_update(of=("self",))
            .select_related("offering")
            .filter(email=signup.email, confirmed_at__isnull=True, unsubscribed_at__isnull=True)
            .order_by("offering__title", "pk")
        )
        InterestSignup.objects.filter(pk__in=[each.pk for each in confirmed]).update(
            confirmed_at=now
        )
        address_email_release(purpose=AddressEmail.Purpose.INTEREST, emails=[signup.email])
        signup.confirmed_at = now
    return signup, confirmed


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
