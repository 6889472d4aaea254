"""Registration: enrolments of trainees in sessions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Enrolment(models.Model):
    """A trainee's place in a session: held while unpaid, confirmed once paid."""

    class Status(models.TextChoices):
        HELD = "held", _("Held, awaiting payment")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        TRANSFERRED = "transferred", _("Transferred")

    session = models.ForeignKey(
        "catalog.Session",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("session"),
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("trainee"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    hold_expires_at = models.DateTimeField(_("hold expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("created_at", "pk")
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="held") | models.Q(hold_expires_at__isnull=False),
                name="enrolment_hold_has_expiry",
            ),
        ]
        indexes = [models.Index(fields=("session", "status"))]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.session}"
