"""Contact inquiries: stored, emailed to the topic's recipient, acknowledged to the visitor;
a per-client limit keeps robots from filling the center's inbox, and a per-address one
(acknowledgements at most once a day) the inbox of whoever's address they type."""

from datetime import datetime

from django.conf import settings
from django.db import transaction

from catalog.models import SiteSettings
from polaris.ratelimit import rate_take

from ..models import AddressEmail, Inquiry, InquiryRecipient, InquiryTopic
from .emails import email_queue
from .flood import address_email_take
from .submissions import submission_record

INQUIRIES_PER_HOUR = 5


def inquiry_recipient(*, topic: str) -> str:
    """The address configured for the topic, else the training coordinator, else ours."""
    configured = InquiryRecipient.objects.filter(topic=topic).values_list("email", flat=True)
    return (
        configured.first()
        or SiteSettings.current().coordinator_email
        or settings.DEFAULT_FROM_EMAIL
    )


def inquiry_rate_take(*, client: str) -> bool:
    """Count one inquiry from this client in the current hour; False once over the limit."""
    return rate_take(action="inquiry", client=client, limit=INQUIRIES_PER_HOUR, period_seconds=3600)


def inquiry_submit(
    *,
    topic: InquiryTopic,
    name: str,
    email: str,
    message: str,
    now: datetime,
    submission: str = "",
) -> Inquiry | None:
    """Store the inquiry, email it to the topic's recipient and acknowledge it to the visitor
    (at most once a day to an address: the acknowledgement goes to whatever address was
    typed).

    None if the same form (its `submission` token, the same values) was sent already: the
    visitor's retry stores and sends nothing more.
    """
    with transaction.atomic():
        if not submission_record(
            form="inquiry",
            token=submission,
            values={"topic": topic, "name": name, "email": email, "message": message},
            now=now,
        ):
            return None
        inquiry = Inquiry.objects.create(
            topic=topic, name=name.strip(), email=email.strip(), message=message, created_at=now
        )
        email_queue(
            kind="inquiry_received",
            to=inquiry_recipient(topic=topic),
            key=f"inquiry_received:{inquiry.pk}",
            inquiry=inquiry,
        )
        if address_email_take(purpose=AddressEmail.Purpose.INQUIRY, email=inquiry.email, now=now):
            email_queue(
                kind="inquiry_ack",
                to=inquiry.email,
                key=f"inquiry_ack:{inquiry.pk}",
                inquiry=inquiry,
            )
    return inquiry


def inquiry_mark_answered(*, inquiry: Inquiry, now: datetime) -> bool:
    """True if the inquiry was new and is now answered."""
    return bool(
        Inquiry.objects.filter(pk=inquiry.pk, status=Inquiry.Status.NEW).update(
            status=Inquiry.Status.ANSWERED, answered_at=now
        )
    )
