"""Contact inquiries: stored, emailed to the topic's recipient, acknowledged to the visitor;
a per-address limit in the shared cache keeps robots from filling the inbox."""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from catalog.models import SiteSettings

from ..models import Inquiry, InquiryRecipient, InquiryTopic
from .emails import email_queue

INQUIRIES_PER_HOUR = 5


def inquiry_recipient(*, topic: str) -> str:
    """The address configured for the topic, else the training coordinator, else ours."""
    configured = InquiryRecipient.objects.filter(topic=topic).values_list("email", flat=True)
    return (
        configured.first()
        or SiteSettings.current().coordinator_email
        or settings.DEFAULT_FROM_EMAIL
    )


def inquiry_rate_take(*, address: str, now: datetime) -> bool:
    """Count one inquiry from this address in the current hour; False once over the limit."""
    key = f"registration:inquiry:{address}:{int(now.timestamp() // 3600)}"
    if cache.add(key, 1, timeout=3700):
        return True
    try:
        return cache.incr(key) <= INQUIRIES_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3700)
        return True


def inquiry_submit(
    *, topic: InquiryTopic, name: str, email: str, message: str, now: datetime
) -> Inquiry:
    """Store the inquiry, email it to the topic's recipient and acknowledge it to the visitor."""
    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            topic=topic, name=name.strip(), email=email.strip(), message=message, created_at=now
        )
        email_queue(
            kind="inquiry_received",
            to=inquiry_recipient(topic=topic),
            key=f"inquiry_received:{inquiry.pk}",
            inquiry=inquiry,
        )
        email_queue(
            kind="inquiry_ack", to=inquiry.email, key=f"inquiry_ack:{inquiry.pk}", inquiry=inquiry
        )
    return inquiry


def inquiry_mark_answered(*, inquiry: Inquiry, now: datetime) -> bool:
    """True if the inquiry was new and is now answered."""
    return bool(
        Inquiry.objects.filter(pk=inquiry.pk, status=Inquiry.Status.NEW).update(
            status=Inquiry.Status.ANSWERED, answered_at=now
        )
    )
