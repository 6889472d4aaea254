"""django-allauth's account emails (address confirmation, password reset, "you already have
an account", notices) as outbox emails of kind "account", sent, retried and swept like the
others.

They carry one-time links that can't be drawn again later, so the request renders them as
allauth does and the row keeps the rendered message until it is sent; then (or once it is
no longer needed) only what it was stays: its template, subject and account. The admin never
shows it, and closing an account deletes those not sent yet.
"""

import uuid
from collections.abc import Iterable

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db.models import Q

from ..models import OutboundEmail
from .emails import email_queue

KIND = "account"
Status = OutboundEmail.Status

# What a row keeps once its email is sent or cancelled: no body, so no link.
KEPT_AFTER = ("template", "subject", "user")


def account_email_queue(
    *, template_prefix: str, message: EmailMessage, user_id: int | None
) -> OutboundEmail:
    """Record allauth's rendered message (text, and its HTML alternative if any) in the
    current transaction, for the worker to send once it commits. Each is a message of its
    own: allauth and the flood limits decide how often one is asked for."""
    html = next(
        (
            content
            for content, mimetype in getattr(message, "alternatives", ())
            if mimetype == "text/html"
        ),
        "",
    )
    text = message.body
    if message.content_subtype == "html":
        text, html = "", message.body
    (to,) = message.to
    return email_queue(
        kind=KIND,
        to=to,
        key=f"{KIND}:{uuid.uuid4().hex}",
        payload={
            "template": template_prefix,
            "subject": message.subject,
            "from": message.from_email,
            "headers": dict(message.extra_headers),
            "text": text,
            "html": html,
            "user": user_id,
        },
    )


def account_email_compose(email: OutboundEmail) -> EmailMessage | None:
    """The message as allauth rendered it; None if its body is gone (nothing to send)."""
    payload = email.payload
    text, html = payload.get("text", ""), payload.get("html", "")
    if not text and not html:
        return None
    common = {
        "subject": payload.get("subject", ""),
        "from_email": payload.get("from") or None,
        "to": [email.to],
        "headers": payload.get("headers") or None,
    }
    if not text:
        message = EmailMessage(body=html, **common)
        message.content_subtype = "html"
        return message
    message = EmailMultiAlternatives(body=text, **common)
    if html:
        message.attach_alternative(html, "text/html")
    return message


def account_email_follow(email: OutboundEmail) -> None:
    """Once sent or no longer needed, the row forgets the message (and its link). A failed
    one keeps it, so that staff can retry it."""
    if email.status not in (Status.SENT, Status.CANCELLED):
        return
    kept = {name: email.payload[name] for name in KEPT_AFTER if name in email.payload}
    OutboundEmail.objects.filter(pk=email.pk).update(payload=kept)
    email.payload = kept


def account_emails_delete(*, user_id: int, addresses: Iterable[str]) -> int:
    """When an account closes: its account emails not sent yet are deleted (a send under way
    holds the row's lock and finishes first, and is kept as sent). How many."""
    to_account = Q(payload__user=user_id)
    for address in addresses:
        to_account |= Q(to__iexact=address)
    deleted, _by_model = (
        OutboundEmail.objects.filter(to_account, kind=KIND).exclude(status=Status.SENT).delete()
    )
    return deleted
