"""Certificates of Attendance and CE certificates: snapshots of what they certify, kept for
at least four years whatever happens to the order (CE rules), each with a verification code."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_verification_code() -> str:
    """16 characters from 32 symbols: 80 bits, not guessable."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


class Certificate(models.Model):
    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", _("Certificate of Attendance")
        CE = "ce", _("CE certificate")

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        SUPERSEDED = "superseded", _("Superseded by a corrected version")
        REVOKED = "revoked", _("Revoked")

    class Delivery(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERED = "rendered", _("Rendered")
        EMAILED = "emailed", _("Emailed")
        FAILED = "failed", _("Failed")

    enrolment = models.ForeignKey(
        "registration.Enrolment", on_delete=models.PROTECT, related_name="certificates"
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    credit_type = models.ForeignKey(
        "catalog.CreditType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credits = models.DecimalField(
        _("credits"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    legal_name = models.CharField(_("participant"), max_length=200)
    license_type = models.CharField(_("license type"), max_length=80, blank=True)
    license_number = models.CharField(_("license number"), max_length=40, blank=True)
    license_state = models.CharField(_("license state"), max_length=2, blank=True)
    course_title = models.CharField(_("course"), max_length=300)
    session_dates = models.CharField(_("date(s)"), max_length=200)
    code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=new_verification_code
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.VALID
    )
    issued_at = models.DateTimeField(_("issued"))
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/", blank=True)
    delivery = models.CharField(
        _("delivery"), max_length=20, choices=Delivery.choices, default=Delivery.QUEUED
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-issued_at", "-pk")
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=("enrolment", "kind", "version"), name="certificate_unique_version"
            ),
            models.UniqueConstraint(
                fields=("enrolment", "kind"),
                condition=Q(status="valid"),
                name="certificate_one_valid_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="attendance") | Q(credit_type__isnull=False),
                name="certificate_ce_has_credit_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.legal_name} · {self.course_title}"
