"""The outbox (every email the center sends, one row per key) and what guards the public
forms: the per-address limits on typed addresses and the once-only submission records."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enrolments import Enrolment, WaitlistEntry
from .orders import Order, Refund
from .roster import RosterMessage

User = settings.AUTH_USER_MODEL


class OutboundEmail(models.Model):
    """The outbox: every email the center sends, recorded in the same transaction as what
    causes it and sent by a task that takes its key.

    The key says what makes the email unique ("order_confirmation:41"): the database keeps
    one row per key, so an email is recorded once however often its cause runs. What the
    email is about is referred to by primary key (the foreign keys below, or `payload` for
    another app's records, e.g. a certificate); it is rendered when it is sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not sent: no longer needed")

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    to = models.EmailField(_("recipient"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    payload = models.JSONField(default=dict, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    waitlist_entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    roster_message = models.ForeignKey(
        RosterMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    invitation = models.ForeignKey(
        "Invitation", on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    intake = models.ForeignKey(
        "Intake", on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    interest_signup = models.ForeignKey(
        "InterestSignup", on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    interest_notification = models.ForeignKey(
        "InterestNotification",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emails",
    )
    inquiry = models.ForeignKey(
        "Inquiry", on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When its task was last handed to the broker; empty while it waits for its next attempt.
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ("created_at", "pk")
        verbose_name = _("outbox email")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(
                fields=("next_attempt_at",),
                condition=Q(status="pending"),
                name="outbox_pending",
            ),
            models.Index(fields=("status", "-created_at"), name="outbox_by_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"


class AddressEmail(models.Model):
    """The last email of one kind sent to an address a visitor typed (an interest list's
    confirmation, a contact acknowledgement, an account's confirmation or password reset).

    Anyone can type anyone's address, so each kind goes to an address at most once a day
    until the address is confirmed (registration.services.flood). Kept in the database:
    shared by every process and unaffected by a Redis outage.
    """

    class Purpose(models.TextChoices):
        INTEREST = "interest", _("Interest list confirmation")
        INQUIRY = "inquiry", _("Contact acknowledgement")
        ACCOUNT = "account", _("Account email confirmation")
        PASSWORD_RESET = "password-reset", _("Password reset")

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    email = models.EmailField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("purpose", "email"), name="address_email_once")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} → {self.email}"


class FormSubmission(models.Model):
    """A public form (contact, interest list) taken once: the digest of its token, made when
    the form was shown, and of the values sent. The same form sent again (a browser retrying
    after a timeout, a double click) matches it and creates nothing more."""

    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return self.digest
