"""Accounts: closing a trainee's account (the login and what only served it go; the records
the CE rules keep for four years, orders, rosters, certificates, evaluations, stay, still
attributed), and removing the second factor of someone who lost it."""

import logging
from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import log_action

from ..models import (
    AccountClosure,
    CartItem,
    Intake,
    InterestSignup,
    Order,
    OutboundEmail,
    WaitlistEntry,
)
from ..selectors import registrations_not_over
from .account_emails import account_emails_delete
from .intake import intake_withdraw
from .orders import order_cancel
from .waitlist import waitlist_leave

logger = logging.getLogger(__name__)

# A reserved top-level domain (RFC 2606): nothing addressed there is ever delivered.
CLOSED_EMAIL_DOMAIN = "closed.invalid"


def second_factor_remove(*, user, by: str) -> int:
    """Remove every authenticator of `user` (app, recovery codes, security keys), for someone
    who lost their phone and their recovery codes; the number removed. Staff then set up a
    new one before they reach a staff page again (registration.middleware)."""
    removed, _by_model = Authenticator.objects.filter(user=user).delete()
    logger.warning("Second factor of %s removed by %s (%d removed)", user, by, removed)
    return removed


class AccountCloseRefused(Exception):
    """The account cannot be closed yet; the message says why and what to do."""


def closed_email(kind: str, pk: int) -> str:
    return f"{kind}-{pk}@{CLOSED_EMAIL_DOMAIN}"


def account_close(*, user, now: datetime) -> AccountClosure:
    """Close the account. Idempotent: closing a closed account returns its closure.

    Refused while a confirmed registration's session has not ended. Otherwise: unpaid orders
    are cancelled (their seats released), waitlist places left, the cart emptied, intakes
    withdrawn (answers and review notes deleted), interest signups unsubscribed and erased,
    account emails not sent yet deleted; the login is disabled and the email address, names
    and username are replaced by placeholders. The profile's legal name and license stay:
    rosters kept four years show them.
    """
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        closure = AccountClosure.objects.filter(user=user).first()
        if closure is not None:
            return closure
        not_over = list(registrations_not_over(trainee=user, now=now))
        if not_over:
            raise AccountCloseRefused(
                ngettext(
                    "You are still registered for %(sessions)s. Cancel it on My trainings "
                    "first, or wait until it is over: once your account is closed we could "
                    "not reach you about it.",
                    "You are still registered for %(sessions)s. Cancel them on My trainings "
                    "first, or wait until they are over: once your account is closed we could "
                    "not reach you about them.",
                    len(not_over),
                )
                % {"sessions": "; ".join(str(e.session) for e in not_over)}
            )
        reason = _("The trainee closed their account.")
        for order in Order.objects.filter(trainee=user, status=Order.Status.PENDING):
            order_cancel(order=order, by=user, now=now, reason=reason)
        # After the orders: cancelling one restores a waitlist offer its seat came from.
        for entry in WaitlistEntry.objects.filter(
            trainee=user, status__in=(WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)
        ):
            waitlist_leave(entry=entry, now=now)
        CartItem.objects.filter(trainee=user).delete()
        # Withdrawn ones too: one withdrawn before notes were deleted may still hold its note.
        for intake in Intake.objects.filter(trainee=user):
            intake_withdraw(intake=intake, now=now)

        addresses = {user.email.lower()} | {
            address.lower()
            for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
        }
        addresses.discard("")
        for signup in InterestSignup.objects.select_for_update().filter(email__in=addresses):
            signup.name = ""
            signup.email = closed_email("interest", signup.pk)
            signup.unsubscribed_at = signup.unsubscribed_at or now
            signup.save(update_fields=["name", "email", "unsubscribed_at"])
        # Confirmation and reset links not sent yet would reach an account no longer there.
        account_emails_delete(user_id=user.pk, addresses=addresses)
        placeholder = closed_email("account-closed", user.pk)
        for address in addresses:
            OutboundEmail.objects.filter(to__iexact=address, sent_at__isnull=False).update(
                to=placeholder
            )
        EmailAddress.objects.filter(user=user).delete()

        user.email = placeholder
        user.username = f"account-closed-{user.pk}"
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        closure = AccountClosure.objects.create(user=user, closed_at=now)
        for order in Order.objects.filter(trainee=user):
            log_action(order, "registration.account.closed", actor=user)
    return closure
