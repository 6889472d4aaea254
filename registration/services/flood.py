"""Emails to addresses visitors type: at most one of each kind a day to an address until it is
confirmed, so that the site's forms cannot be used to fill someone else's inbox.

The visitor sees the same page whether or not the email went, which tells nobody anything
about the address. Per-client limits (polaris.ratelimit, allauth's) come on top.
"""

from datetime import datetime, timedelta

from django.db import transaction

from ..models import AddressEmail

INTERVAL = timedelta(hours=24)


def _normalized(email: str) -> str:
    return email.strip().lower()


def address_email_take(*, purpose: AddressEmail.Purpose, email: str, now: datetime) -> bool:
    """True, and recorded, if an email of `purpose` may go to `email` now; False if one went
    in the last 24 hours. Two requests at the same moment get one True between them."""
    with transaction.atomic():
        record, created = AddressEmail.objects.select_for_update().get_or_create(
            purpose=purpose, email=_normalized(email), defaults={"sent_at": now}
        )
        if created:
            return True
        if record.sent_at > now - INTERVAL:
            return False
        record.sent_at = now
        record.save(update_fields=["sent_at"])
        return True


def address_emails_prune(*, now: datetime) -> int:
    """Forget the addresses emailed more than 24 hours ago: they limit nothing any more, and
    the site keeps no address it has no use for. The number forgotten."""
    deleted, _by_model = AddressEmail.objects.filter(sent_at__lte=now - INTERVAL).delete()
    return deleted


def address_email_release(*, purpose: AddressEmail.Purpose, emails: list[str]) -> None:
    """The addresses are confirmed (or the reset done): the next email may go at once."""
    AddressEmail.objects.filter(
        purpose=purpose, email__in=[_normalized(email) for email in emails]
    ).delete()
