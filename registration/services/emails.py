"""The email outbox: record an email with the change that causes it; a task sends it once."""

import logging

from django.db import transaction

from ..models import Enrolment, Order, OutboundEmail, WaitlistEntry

logger = logging.getLogger(__name__)


def email_queue(
    *,
    kind: str,
    to: str,
    order: Order | None = None,
    enrolment: Enrolment | None = None,
    waitlist_entry: WaitlistEntry | None = None,
    **links,
) -> OutboundEmail:
    """Record the email in the current transaction and queue its sending after commit.

    `links` are the outbox's other foreign keys (interest_signup=..., inquiry=...).
    """
    email = OutboundEmail.objects.create(
        kind=kind, to=to, order=order, enrolment=enrolment, waitlist_entry=waitlist_entry, **links
    )
    transaction.on_commit(lambda: _enqueue(email.pk))
    return email


def _enqueue(email_id: int) -> None:
    from ..tasks import email_send

    try:
        email_send.delay(email_id)
    except Exception:  # the broker is down: the outbox sweep queues it again later
        logger.warning(
            "Could not queue email %s; the outbox sweep will retry", email_id, exc_info=True
        )


def _render(email: OutboundEmail) -> tuple[str, str, list[tuple[str, bytes, str]]]:
    """Subject, text body and attachments of an outbox email, rendered from its template."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import timezone

    from catalog.ics import sessions_calendar
    from catalog.models import SiteSettings

    from ..selectors import order_for_email

    order = order_for_email(order_id=email.order_id) if email.order_id else None
    context = {
        "email": email,
        "order": order,
        "enrolment": email.enrolment,
        "entry": email.waitlist_entry,
        "signup": email.interest_signup,
        "notification": email.interest_notification,
        "inquiry": email.inquiry,
        "site": SiteSettings.current(),
        "site_url": settings.SITE_URL,
    }
    text = render_to_string(f"registration/emails/{email.kind}.txt", context)
    subject, _, body = text.strip().partition("\n")
    subject = subject.removeprefix("Subject:").strip()
    attachments = []
    sessions = []
    if email.kind in ("order_confirmation",) and order is not None:
        sessions = [
            enrolment.session
            for line in order.lines.all()
            for enrolment in line.enrolments.all()
            if enrolment.status == Enrolment.Status.CONFIRMED and enrolment.session.is_dated
        ]
    elif email.kind == "enrolment_moved" and email.enrolment is not None:
        sessions = [email.enrolment.session]
    for session in sessions:
        ics = sessions_calendar(
            [session],
            base_url=settings.SITE_URL,
            name=session.offering.display_title,
            now=timezone.now(),
            zoom_url=session.zoom_url,
        )
        day = timezone.localtime(session.starts_at).date().isoformat()
        attachments.append((f"{session.offering.slug}-{day}.ics", ics, "text/calendar"))
    return subject, body.strip() + "\n", attachments


def email_send(*, email_id: int) -> bool:
    """Send one outbox email unless it was already sent; True if it was sent now."""
    from django.core.mail import EmailMessage
    from django.utils import timezone

    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(of=("self",))
            .select_related("enrolment__session__offering", "waitlist_entry__session__offering")
            .get(pk=email_id)
        )
        if email.sent_at is not None:
            return False
        subject, body, attachments = _render(email)
        message = EmailMessage(subject=subject, body=body, to=[email.to])
        for filename, content, mimetype in attachments:
            message.attach(filename, content, mimetype)
        email.attempts += 1
        message.send()
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["sent_at", "attempts", "last_error"])
        return True


def email_failed(*, email_id: int, error: str) -> None:
    OutboundEmail.objects.filter(pk=email_id).update(last_error=error[:2000])


def emails_unsent(*, older_than) -> list[int]:
    """Outbox emails still unsent after `older_than`: the sweep queues them again."""
    return list(
        OutboundEmail.objects.filter(sent_at__isnull=True, created_at__lt=older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
