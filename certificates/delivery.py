"""Delivering certificates through the outbox: each version's email is an outbox row (kind
"certificate", payload {"certificate": pk}), recorded in the transaction that issues it and
sent, retried and swept like every other email the center sends. Composing it draws the PDF
first, unless this version has one (certificates.services.certificate_email).

The certificate keeps its own delivery state for the roster's progress page — queued,
rendered, emailed, failed — which follows its email's, in the transaction that changes the
email: one retry policy and one sweep for everything.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Case, Value, When

from registration.models import OutboundEmail
from registration.services.emails import (
    email_cancel,
    email_queue,
    emails_queue,
    emails_retry,
    emails_stuck,
)

from .models import Certificate

KIND = "certificate"
Delivery = Certificate.Delivery


def email_key(certificate_id: int) -> str:
    return f"{KIND}:{certificate_id}"


def certificates_delivery_queue(*, certificates: Iterable[Certificate]) -> None:
    """In the transaction that issues them: one outbox email per certificate, sent once it
    commits (one INSERT for a whole roster)."""
    emails_queue(
        OutboundEmail(
            kind=KIND,
            key=email_key(certificate.pk),
            to=certificate.trainee.email,
            payload={"certificate": certificate.pk},
        )
        for certificate in certificates
    )


def certificate_delivery_cancel(*, certificate: Certificate) -> None:
    """A version superseded or revoked before its email left is not sent."""
    email_cancel(key=email_key(certificate.pk))


def certificate_delivery_follow(email: OutboundEmail) -> None:
    """The certificate's delivery state follows its email (the outbox calls this in the
    transaction that changes the email)."""
    certificates = Certificate.objects.filter(pk=email.payload["certificate"])
    match email.status:
        case OutboundEmail.Status.SENT:
            certificates.update(
                delivery=Delivery.EMAILED, emailed_at=email.sent_at, delivery_error=""
            )
        case OutboundEmail.Status.FAILED:
            certificates.filter(emailed_at__isnull=True).update(
                delivery=Delivery.FAILED, delivery_error=email.last_error
            )
        case OutboundEmail.Status.PENDING:  # tried again later, or retried by hand
            certificates.filter(emailed_at__isnull=True).update(
                delivery=Case(
                    When(pdf="", then=Value(Delivery.QUEUED)), default=Value(Delivery.RENDERED)
                ),
                delivery_error=email.last_error,
            )


def _undelivered(certificate_ids: Iterable[int]):
    return Certificate.objects.filter(
        pk__in=list(certificate_ids), status=Certificate.Status.VALID
    ).exclude(delivery=Delivery.EMAILED)


def certificates_stuck(*, certificate_ids: Iterable[int], now: datetime) -> list[int]:
    """Those of these certificates stuck on their way: their email was queued and never
    sent (the worker died, the broker lost the task)."""
    keys = [email_key(pk) for pk in _undelivered(certificate_ids).values_list("pk", flat=True)]
    return list(
        emails_stuck(now=now).filter(key__in=keys).values_list("payload__certificate", flat=True)
    )


def certificates_delivery_retry(*, certificate_ids: Iterable[int], now: datetime) -> int:
    """Send these certificates now: every valid one not emailed yet, failed or stuck or
    waiting for its next attempt; how many. One without an email (issued before the outbox,
    or written by hand) gets one."""
    with transaction.atomic():
        undelivered = {
            email_key(certificate.pk): certificate
            for certificate in _undelivered(certificate_ids).select_related("trainee")
        }
        recorded = OutboundEmail.objects.filter(key__in=undelivered)
        retried = emails_retry(email_ids=recorded.values_list("pk", flat=True), now=now)
        missing = undelivered.keys() - set(recorded.values_list("key", flat=True))
        for key in sorted(missing):
            certificate = undelivered[key]
            certificate_delivery_follow(
                email_queue(
                    kind=KIND,
                    to=certificate.trainee.email,
                    key=key,
                    payload={"certificate": certificate.pk},
                )
            )
    return retried + len(missing)
