"""Delivering certificates: each version's PDF, drawn once and kept, and its email through the
outbox (kind "certificate", payload {"certificate": pk}), recorded in the transaction that
issues it and sent, retried and swept like every other email the center sends. Composing it
draws the PDF first, unless this version has one (certificate_email).

Rendering is idempotent per version: the PDF is kept by a conditional update, so a task run
twice or redelivered after a worker died renders once. The certificate keeps its own
delivery state for the roster's progress page — queued, rendered, emailed, failed — which
follows its email's, in the transaction that changes the email: one retry policy and one
sweep for everything.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.urls import reverse
from django.utils import timezone

from catalog.models import SiteSettings
from registration.models import OutboundEmail
from registration.services.emails import (
    email_cancel,
    email_queue,
    email_render,
    emails_queue,
    emails_retry,
    emails_stuck,
)

from ..models import Certificate
from . import rendering

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


# --------------------------------------------------------------------------------------
# Drawing the PDF and composing its email
# --------------------------------------------------------------------------------------


def _for_delivery():
    """What rendering and emailing read: the certificate's snapshots, its credit type and
    the trainee's address."""
    return Certificate.objects.select_related("credit_type", "trainee")


def _keep_pdf(certificate: Certificate, pdf: bytes) -> bool:
    """Keep a rendered PDF unless another run kept one first; True if this one was kept.

    One conditional UPDATE, committed at once: before anything is emailed, so a worker dying
    while it sends the email leaves the certificate rendered, and the PDF is not drawn
    again. A run that lost the race removes the file it stored.
    """
    certificate.pdf.save(rendering.pdf_filename(certificate), ContentFile(pdf), save=False)
    waiting = Q(delivery__in=[Certificate.Delivery.QUEUED, Certificate.Delivery.FAILED])
    kept = Certificate.objects.filter(pk=certificate.pk, pdf="").update(
        pdf=certificate.pdf.name,
        rendered_at=timezone.now(),
        delivery=Case(
            When(waiting, then=Value(Certificate.Delivery.RENDERED)), default=F("delivery")
        ),
        delivery_error=Case(
            When(waiting, then=Value("")), default=F("delivery_error"), output_field=TextField()
        ),
    )
    if not kept:
        certificate.pdf.delete(save=False)
    return bool(kept)


def certificate_render(*, certificate_id: int) -> bool:
    """Render the certificate's PDF unless this version already has one; True if rendered now.

    WeasyPrint runs without a lock; the result is kept only if no other run kept one first.
    """
    certificate = _for_delivery().get(pk=certificate_id)
    if certificate.pdf or certificate.status != Certificate.Status.VALID:
        return False
    return _keep_pdf(certificate, rendering.certificate_pdf(certificate))


def certificate_pdf_bytes(*, certificate: Certificate) -> bytes:
    """The certificate's PDF for download: the stored one, rendered now if delivery has not
    got to it yet. An old version without a stored PDF is drawn without being kept."""
    if not certificate.pdf and certificate.status == Certificate.Status.VALID:
        certificate_render(certificate_id=certificate.pk)
        certificate.refresh_from_db(fields=["pdf"])
    if certificate.pdf:
        with certificate.pdf.open("rb") as pdf:
            return pdf.read()
    return rendering.certificate_pdf(certificate)


def certificate_message(certificate: Certificate, pdf: bytes | None = None) -> EmailMessage:
    """The email that carries a certificate: a short text (and its HTML) and the PDF attached
    (the stored one unless given)."""
    context = {
        "certificate": certificate,
        "name": certificate.name,
        "verify_url": rendering.verification_url(certificate),
        "my_trainings_url": settings.SITE_URL + reverse("registration:my_trainings"),
        "site": SiteSettings.current(),
        "site_url": settings.SITE_URL,
    }
    message = email_render(
        template="certificates/emails/certificate", context=context, to=[certificate.trainee.email]
    )
    if pdf is None:
        with certificate.pdf.open("rb") as stored:
            pdf = stored.read()
    message.attach(rendering.pdf_filename(certificate), pdf, "application/pdf")
    return message


def certificate_email(email: OutboundEmail) -> EmailMessage | None:
    """A certificate's email, as the outbox sends it (see the module docstring): the PDF is
    drawn and kept first unless this version has one, then attached as drawn, without
    reading it back. None once the version is no longer valid: nothing is sent.

    WeasyPrint runs without a lock, and its PDF is kept before anything is emailed (see
    _keep_pdf): a worker dying while it sends leaves the certificate rendered, and the PDF
    is not drawn again.
    """
    certificate = _for_delivery().get(pk=email.payload["certificate"])
    if certificate.status != Certificate.Status.VALID:
        return None
    pdf = None
    if not certificate.pdf:
        pdf = rendering.certificate_pdf(certificate)
        if not _keep_pdf(certificate, pdf):
            pdf = None  # another run kept its PDF first: that one is the certificate
            certificate.refresh_from_db(fields=["pdf"])
    message = certificate_message(certificate, pdf)
    message.to = [email.to]
    return message
