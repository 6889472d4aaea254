"""The outbox: every email the center sends is a row, recorded in the transaction of the
change that causes it and kept once per key, then sent by a task that takes the key.

One retry policy for all of them: a failed attempt is tried again after 1, 2, 4 and 8
minutes, then every 15, for about a day; a recipient the mail server refuses fails at once.
The beat's sweep queues what is due again, and what was queued but never sent (its task
lost with a worker, or the broker down at the time). Staff see every email, and retry
failed or stuck ones, in Admin → Outbox.

Every email is plain text with an HTML alternative in the site's look (email_render, or
email_message for a message composed elsewhere, such as allauth's).
"""

import logging
import re
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from catalog.models import SiteSettings
from polaris.mail import send_reusing_connection

from ..background import EMAIL_SEND, task_queue
from ..models import Enrolment, OutboundEmail
from ..selectors import order_for_email, person_name
from ..tokens import waitlist_offer_token
from .calendar_entries import registration_ics, registration_ics_name

logger = logging.getLogger(__name__)

Status = OutboundEmail.Status

RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(minutes=15)
# 1 + 2 + 4 + 8 minutes, then 96 times 15: about a day of trying.
MAX_ATTEMPTS = 100
# The most the sweep queues at one tick; what is left goes at the next.
SWEEP_BATCH = 1000


@dataclass(frozen=True)
class EmailKind:
    """A kind of email an app above registration sends through the outbox."""

    # The message, from the row (its payload names the app's records); None when it is no
    # longer needed (e.g. the certificate was revoked): the row is then cancelled.
    compose: Callable[[OutboundEmail], EmailMessage | None]
    # Called in the transaction that changes the row's status or error, so that the app's
    # own records follow it.
    status_changed: Callable[[OutboundEmail], None] | None = None


_kinds: dict[str, EmailKind] = {}


def email_kind_register(
    kind: str,
    *,
    compose: Callable[[OutboundEmail], EmailMessage | None],
    status_changed: Callable[[OutboundEmail], None] | None = None,
) -> None:
    """Let another app send its own kind of email through the outbox (see EmailKind)."""
    _kinds[kind] = EmailKind(compose=compose, status_changed=status_changed)


# --------------------------------------------------------------------------------------
# Composing: plain text, and the same in HTML in the site's look
# --------------------------------------------------------------------------------------

EMAIL_LAYOUT = "emails/layout.html"


def email_message(
    *, subject: str, text: str, html: str, to: list[str], **fields
) -> EmailMultiAlternatives:
    """One email as the outbox sends it: the plain text, with its HTML as the alternative
    mail clients show when they can (any kind, including allauth's account emails)."""
    message = EmailMultiAlternatives(subject=subject, body=text, to=to, **fields)
    message.attach_alternative(html, "text/html")
    return message


def text_as_html(text: str) -> SafeString:
    """Plain text set as HTML: paragraphs at blank lines, a block whose first line starts
    with "* " as a list, addresses as links. The HTML part of an email that has no template
    of its own says just what its text says."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if not lines:
            continue
        if lines[0].startswith("* "):
            items: list[list[str]] = []
            for line in lines:
                if line.startswith("* ") or not items:
                    items.append([])
                items[-1].append(_html_line(line.removeprefix("* ")))
            blocks.append(
                '<ul style="margin:0 0 16px;padding-left:20px;">'
                + "".join(f'<li style="margin:0 0 8px;">{"<br>".join(i)}</li>' for i in items)
                + "</ul>"
            )
        else:
            blocks.append(
                '<p style="margin:0 0 16px;">' + "<br>".join(map(_html_line, lines)) + "</p>"
            )
    return mark_safe("\n".join(blocks))


def _html_line(line: str) -> str:
    return urlize(escape(line.strip()), autoescape=False)


def email_render(
    *, template: str, context: dict, to: list[str], **fields
) -> EmailMultiAlternatives:
    """The email of `template`: <template>.txt, whose first line is the subject, and its HTML
    alternative <template>.html (extending emails/layout.html) when there is one, else the
    text set in the layout."""
    rendered = render_to_string(f"{template}.txt", context)
    subject, _newline, body = rendered.strip().partition("\n")
    subject = " ".join(subject.removeprefix("Subject:").split())
    text = body.strip() + "\n"
    context = {**context, "subject": subject}
    try:
        html = get_template(f"{template}.html").render(context)
    except TemplateDoesNotExist:
        html = render_to_string(EMAIL_LAYOUT, {**context, "content": text_as_html(text)})
    return email_message(subject=subject, text=text, html=html, to=to, **fields)


# --------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------


def email_queue(
    *, kind: str, to: str, key: str, payload: dict | None = None, **links
) -> OutboundEmail:
    """Record one email in the current transaction and queue its sending once it commits.

    `key` says what makes the email unique (e.g. "order_confirmation:41"): an email whose
    key is recorded already is not recorded or sent again. `links` are the outbox's foreign
    keys (order=..., enrolment=...); `payload` names another app's records by primary key.
    """
    email, created = OutboundEmail.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "to": to,
            "payload": payload or {},
            "queued_at": timezone.now(),
            **links,
        },
    )
    if created:
        transaction.on_commit(partial(_publish, [key]))
    return email


def emails_queue(emails: Iterable[OutboundEmail]) -> list[OutboundEmail]:
    """Record many emails in one INSERT (a roster's messages or certificates), each under a
    new key, and queue their sending once the transaction commits."""
    now = timezone.now()
    emails = list(emails)
    for email in emails:
        email.queued_at = email.next_attempt_at = now
    recorded = OutboundEmail.objects.bulk_create(emails)
    if recorded:
        transaction.on_commit(partial(_publish, [email.key for email in recorded]))
    return recorded


def _publish(keys: list[str]) -> None:
    """Hand the emails' tasks to the broker. When it can't be reached, the rest are left for
    the sweep's next tick (rather than after the stuck bound), and the caller goes on."""
    for index, key in enumerate(keys):
        try:
            task_queue(EMAIL_SEND, key)
        except Exception:
            logger.warning(
                "Could not queue %d emails; the outbox sweep will", len(keys) - index, exc_info=True
            )
            try:
                OutboundEmail.objects.filter(key__in=keys[index:], status=Status.PENDING).update(
                    queued_at=None
                )
            except DatabaseError:  # then the stuck bound brings them back
                logger.warning("Could not mark emails for the sweep", exc_info=True)
            return


# --------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------


def _changed(email: OutboundEmail) -> None:
    kind = _kinds.get(email.kind)
    if kind is not None and kind.status_changed is not None:
        kind.status_changed(email)


def _greeting_name(email: OutboundEmail, order) -> str:
    """Who the email greets: the trainee's legal name, else their account's name; "" when
    the email is not to a trainee, or their name is not known."""
    trainee = order.trainee if order is not None else None
    for link in ("enrolment", "waitlist_entry", "intake"):
        if trainee is None and getattr(email, f"{link}_id", None):
            trainee = getattr(email, link).trainee
    return person_name(trainee)


def _from_template(email: OutboundEmail) -> EmailMessage:
    """The email of one of registration's kinds: templates/registration/emails/<kind>.txt
    (first line the subject) and .html (see email_render); an order confirmation carries an
    .ics per registration, a transfer or a cancellation the updated one."""
    order = order_for_email(order_id=email.order_id) if email.order_id else None
    site = SiteSettings.current()
    context = {
        "email": email,
        "order": order,
        "name": _greeting_name(email, order),
        "enrolment": email.enrolment,
        "entry": email.waitlist_entry,
        "refund": email.refund,
        "roster_message": email.roster_message,
        "signup": email.interest_signup,
        "notification": email.interest_notification,
        "inquiry": email.inquiry,
        "invitation": email.invitation,
        "intake": email.intake,
        "site": site,
        "site_url": settings.SITE_URL,
    }
    if email.kind == "waitlist_offer" and email.waitlist_entry is not None:
        context["offer_url"] = settings.SITE_URL + reverse(
            "registration:waitlist_take",
            args=[waitlist_offer_token(entry=email.waitlist_entry)],
        )
    message = email_render(
        template=f"registration/emails/{email.kind}", context=context, to=[email.to]
    )
    if email.roster_message_id and site.coordinator_email:
        message.reply_to = [site.coordinator_email]
    # Each registration's calendar entry: sent when it is confirmed, updated when it is transferred,
    # removed when it is cancelled (one UID for its life, see calendar_entries).
    enrolments = []
    if email.kind == "order_confirmation" and order is not None:
        enrolments = [
            enrolment
            for line in order.lines.all()
            for enrolment in line.enrolments.all()
            if enrolment.status == Enrolment.Status.CONFIRMED and enrolment.session.is_dated
        ]
    elif (
        email.kind in ("enrolment_transferred", "enrolment_cancelled")
        and email.enrolment is not None
        and email.enrolment.session.is_dated
    ):
        enrolments = [email.enrolment]
    cancelled = email.kind == "enrolment_cancelled"
    for enrolment in enrolments:
        message.attach(
            registration_ics_name(enrolment),
            registration_ics(enrolment=enrolment, now=timezone.now(), cancelled=cancelled),
            "text/calendar",
        )
    return message


def _compose(email: OutboundEmail) -> EmailMessage | None:
    kind = _kinds.get(email.kind)
    return kind.compose(email) if kind is not None else _from_template(email)


def email_send(*, key: str) -> bool:
    """Send one outbox email unless it was sent (or given up on) already; True if sent now.

    The message is composed first, outside any transaction (a certificate's PDF is drawn and
    kept then); it is sent under the row's lock, which is checked again, so two runs at once
    send it once.
    """
    email = (
        OutboundEmail.objects.select_related(
            "enrolment__trainee",
            "enrolment__session__offering",
            "waitlist_entry__session__offering",
            "refund__order_line",
            "roster_message__session__offering",
        )
        .filter(key=key, status=Status.PENDING)
        .first()
    )
    if email is None:
        return False
    message = _compose(email)
    with transaction.atomic():
        if (
            OutboundEmail.objects.select_for_update()
            .filter(pk=email.pk, status=Status.PENDING)
            .only("pk")
            .first()
        ) is None:
            return False
        if message is None:
            email.status = Status.CANCELLED
            email.save(update_fields=["status"])
            _changed(email)
            return False
        send_reusing_connection(message)
        email.status, email.sent_at, email.last_error = Status.SENT, timezone.now(), ""
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=email.status,
            sent_at=email.sent_at,
            last_error="",
            attempts=F("attempts") + 1,
        )
        _changed(email)
    return True


def retry_delay(attempts: int) -> timedelta:
    """How long after its n-th failed attempt an email is tried again."""
    return min(RETRY_FIRST * 2 ** min(attempts - 1, 10), RETRY_LONGEST)


def _refused_for_good(error: Exception) -> bool:
    """The mail server refused this very message (a 5xx answer for its recipient or its
    content): it would answer the same again. Connection trouble, 4xx answers or a refused
    login are the server's state, and pass."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _describe(error: Exception) -> str:
    """The error as staff read it: the mail server's own answer when it gave one."""

    def answer(code: int, message: bytes | str) -> str:
        text = message.decode(errors="replace") if isinstance(message, bytes) else message
        return f"{code} {text}"

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            _("The mail server refused %(address)s: %(answer)s")
            % {"address": address, "answer": answer(*reply)}
            for address, reply in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return _("The mail server answered %(answer)s") % {
            "answer": answer(error.smtp_code, error.smtp_error)
        }
    return f"{type(error).__name__}: {error}"


def email_failed(*, key: str, error: Exception, now: datetime) -> OutboundEmail | None:
    """Record a failed attempt: tried again later (see retry_delay), or marked failed when
    the server refused it for good or it was tried MAX_ATTEMPTS times."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update().filter(key=key, status=Status.PENDING).first()
        )
        if email is None:
            return None
        email.attempts += 1
        email.last_error = _describe(error)[:2000]
        email.queued_at = None
        if _refused_for_good(error) or email.attempts >= MAX_ATTEMPTS:
            email.status = Status.FAILED
        else:
            email.next_attempt_at = now + retry_delay(email.attempts)
        email.save(
            update_fields=["attempts", "last_error", "queued_at", "status", "next_attempt_at"]
        )
        _changed(email)
    return email


def email_cancel(*, key: str) -> bool:
    """Don't send this email if it is not sent yet (what it carried is no longer valid).
    Under the row's lock: a send under way finishes first. True if cancelled now."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update()
            .filter(key=key, status__in=(Status.PENDING, Status.FAILED))
            .first()
        )
        if email is None:
            return False
        email.status = Status.CANCELLED
        email.save(update_fields=["status"])
        _changed(email)
    return True


# --------------------------------------------------------------------------------------
# The sweep, and retrying by hand
# --------------------------------------------------------------------------------------


def stuck_before(now: datetime) -> datetime:
    """An email still unsent that was queued before this has lost its task."""
    return now - timedelta(seconds=settings.OUTBOX_STUCK_SECONDS)


def emails_stuck(*, now: datetime):
    """Emails queued and never sent: the worker that held them died, or the broker lost them."""
    return OutboundEmail.objects.filter(status=Status.PENDING, queued_at__lt=stuck_before(now))


def emails_requeue(*, now: datetime) -> int:
    """The beat's sweep: queue again every email whose next attempt is due, and every one
    stuck (see emails_stuck); how many. Rows being sent at this moment are locked and
    skipped, so two sweeps at once queue each email once."""
    due = Q(queued_at__isnull=True, next_attempt_at__lte=now) | Q(queued_at__lt=stuck_before(now))
    with transaction.atomic():
        keys = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(due, status=Status.PENDING)
            .order_by("next_attempt_at", "pk")
            .values_list("key", flat=True)[:SWEEP_BATCH]
        )
        OutboundEmail.objects.filter(key__in=keys).update(queued_at=now)
    _publish(keys)
    return len(keys)


def emails_retry(*, email_ids: Iterable[int], now: datetime) -> int:
    """Send these emails again now: failed ones, and unsent ones (stuck, or waiting for their
    next attempt); sent and cancelled ones are left alone. How many were queued."""
    with transaction.atomic():
        emails = list(
            OutboundEmail.objects.select_for_update()
            .filter(pk__in=list(email_ids), status__in=(Status.PENDING, Status.FAILED))
            .order_by("pk")
        )
        for email in emails:
            email.status, email.last_error = Status.PENDING, ""
            email.queued_at = email.next_attempt_at = now
        OutboundEmail.objects.bulk_update(
            emails, ["status", "last_error", "queued_at", "next_attempt_at"]
        )
        for email in emails:
            _changed(email)
        if emails:
            transaction.on_commit(partial(_publish, [email.key for email in emails]))
    return len(emails)
