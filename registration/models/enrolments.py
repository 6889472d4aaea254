"""Enrolments (a trainee's seat in a session, held, confirmed, transferred or closed), the
waitlists that hand freed seats on, and prerequisite waivers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import SEAT_CONFIRMED, SEAT_HELD

from .orders import OrderLine

User = settings.AUTH_USER_MODEL


class Enrolment(models.Model):
    """A trainee's place in a session: held while unpaid, confirmed once paid."""

    class Status(models.TextChoices):
        HELD = SEAT_HELD, _("Held, awaiting payment")
        CONFIRMED = SEAT_CONFIRMED, _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        TRANSFERRED = "transferred", _("Transferred to another date")
        EXPIRED = "expired", _("Hold expired")

    class Attendance(models.TextChoices):
        """The coordinator's decision. Only "attended in full" earns a certificate: partial
        attendance earns no credit (BRN 16 CCR §1451(c); APA: full attendance only)."""

        UNMARKED = "unmarked", _("Not marked")
        ATTENDED = "attended", _("Attended in full")
        PARTIAL = "partial", _("Partial")
        ABSENT = "absent", _("Absent")

    session = models.ForeignKey(
        "catalog.Session",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("session"),
    )
    trainee = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("trainee")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    hold_expires_at = models.DateTimeField(_("hold expires"), null=True, blank=True)
    order_line = models.ForeignKey(
        OrderLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("order line"),
    )
    credit_type = models.ForeignKey(
        "catalog.CreditType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("CE credit type"),
    )
    attendance = models.CharField(
        _("attendance"), max_length=20, choices=Attendance.choices, default=Attendance.UNMARKED
    )
    override_reason = models.CharField(
        _("reason to count in full"),
        max_length=500,
        blank=True,
        help_text=_(
            "Why the coordinator counted this trainee as attended in full although the "
            "sign-in, sign-out or Zoom report is flagged."
        ),
    )
    signed_in_at = models.DateTimeField(_("signed in"), null=True, blank=True)
    signed_out_at = models.DateTimeField(_("signed out"), null=True, blank=True)
    zoom_connected_minutes = models.PositiveIntegerField(
        _("minutes connected on Zoom"),
        null=True,
        blank=True,
        help_text=_(
            "Within the session's scheduled time, by the last Zoom participant report imported."
        ),
    )
    transferred_to = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="transferred_from"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("cancelled, transferred or expired"), null=True, blank=True)

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


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Seat offered")
        ACCEPTED = "accepted", _("Offer accepted")
        EXPIRED = "expired", _("Offer expired")
        LEFT = "left", _("Left the waitlist")

    session = models.ForeignKey(
        "catalog.Session", on_delete=models.PROTECT, related_name="waitlist"
    )
    trainee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="waitlist_entries")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # When the offered seat went into the cart (from My trainings or the email's link, which
    # then works no more).
    offer_taken_at = models.DateTimeField(_("seat taken into the cart"), null=True, blank=True)
    hold = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, null=True, blank=True, related_name="waitlist_offer"
    )

    class Meta:
        ordering = ("created_at", "pk")
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        constraints = [
            models.UniqueConstraint(
                fields=("session", "trainee"),
                condition=Q(status__in=("waiting", "offered")),
                name="waitlist_one_active_entry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.session}"


class PrerequisiteWaiver(models.Model):
    """Staff let a trainee skip a prerequisite (e.g. Module 1), with the reason recorded."""

    trainee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="prerequisite_waivers")
    offering = models.ForeignKey(
        "catalog.Offering",
        on_delete=models.PROTECT,
        related_name="waivers",
        verbose_name=_("waived prerequisite"),
    )
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("prerequisite waiver")
        verbose_name_plural = _("prerequisite waivers")
        constraints = [
            models.UniqueConstraint(fields=("trainee", "offering"), name="waiver_unique")
        ]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.offering}"
