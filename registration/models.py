"""Registration: trainee profiles, carts, orders with price snapshots, enrolments, payments,
refunds, waitlists, and the email outbox. Orders are never deleted; changes are logged."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import SEAT_CONFIRMED, SEAT_HELD
from catalog.professions import Profession

from .states import US_STATES

User = settings.AUTH_USER_MODEL

# Unambiguous characters for order codes read out over the phone.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_order_code() -> str:
    return "PT-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class TraineeProfile(models.Model):
    """What certificates and CE eligibility need to know about a trainee."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="trainee_profile", verbose_name=_("user")
    )
    legal_name = models.CharField(
        _("legal name"),
        max_length=200,
        help_text=_("Your name exactly as it should appear on certificates."),
    )
    credentials = models.CharField(
        _("credentials"), max_length=80, blank=True, help_text=_("For example: PhD, LMFT.")
    )
    profession = models.CharField(
        _("profession / license type"), max_length=20, choices=Profession.choices
    )
    license_number = models.CharField(_("license number"), max_length=40, blank=True)
    license_state = models.CharField(
        _("license issuing state"), max_length=2, choices=US_STATES, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("trainee profile")
        verbose_name_plural = _("trainee profiles")
        permissions = [("view_intake_answers", "Can see intake medical details")]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_complete(self) -> bool:
        """CE certificates need the legal name, the license type, number and state."""
        if not (self.legal_name and self.profession):
            return False
        if self.profession == Profession.OTHER:
            return True
        return bool(self.license_number and self.license_state)


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


class CartItem(models.Model):
    """A session a signed-in trainee intends to register for, with an optional CE add-on."""

    trainee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="cart_items")
    session = models.ForeignKey("catalog.Session", on_delete=models.CASCADE, related_name="+")
    offering = models.ForeignKey("catalog.Offering", on_delete=models.CASCADE, related_name="+")
    credit_type = models.ForeignKey(
        "catalog.CreditType", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ce_notice_acknowledged = models.BooleanField(default=False)
    bundle = models.ForeignKey(
        "catalog.Bundle", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("added_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("trainee", "offering"), name="cart_one_session_per_offering"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.session}"


class Order(models.Model):
    """A trainee's purchase. Its lines snapshot the prices charged; it is never deleted."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    class Method(models.TextChoices):
        STRIPE = "stripe", _("Card (Stripe)")
        OFFLINE = "offline", _("Invoice or check")
        COMPLIMENTARY = "complimentary", _("Complimentary")

    code = models.CharField(_("order code"), max_length=16, unique=True, default=new_order_code)
    trainee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    payment_method = models.CharField(_("payment method"), max_length=20, choices=Method.choices)
    currency = models.CharField(_("currency"), max_length=3, default="usd")
    total_cents = models.PositiveIntegerField(_("total (cents)"))
    refunded_cents = models.PositiveIntegerField(_("refunded (cents)"), default=0)
    bundle = models.ForeignKey(
        "catalog.Bundle", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    expires_at = models.DateTimeField(_("seats held until"), null=True, blank=True)
    stripe_checkout_session_id = models.CharField(
        _("Stripe Checkout Session"), max_length=255, null=True, blank=True, unique=True
    )
    stripe_checkout_url = models.URLField(max_length=2000, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    flagged_reason = models.TextField(
        _("flagged for the coordinator"),
        blank=True,
        help_text=_("Why this order needs a person to look at it."),
    )
    created_at = models.DateTimeField(_("placed"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    closed_at = models.DateTimeField(_("expired or cancelled"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=models.F("total_cents")),
                name="order_refund_not_above_total",
            ),
        ]
        indexes = [models.Index(fields=("status", "expires_at"))]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("registration:order", kwargs={"code": self.code})

    @property
    def refundable_cents(self) -> int:
        return self.total_cents - self.refunded_cents


class OrderLine(models.Model):
    """One enrolment bought: the catalog prices at order time (bundle items carry their share)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    session = models.ForeignKey("catalog.Session", on_delete=models.PROTECT, related_name="+")
    offering = models.ForeignKey("catalog.Offering", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=400)
    tuition_cents = models.PositiveIntegerField(_("tuition (cents)"))
    admin_fee_cents = models.PositiveIntegerField(_("administrative fee (cents)"))
    ce_fee_cents = models.PositiveIntegerField(_("CE fee (cents)"), default=0)
    credit_type = models.ForeignKey(
        "catalog.CreditType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ce_credits = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    bundle = models.ForeignKey(
        "catalog.Bundle", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refunded_cents = models.PositiveIntegerField(_("refunded (cents)"), default=0)

    class Meta:
        ordering = ("pk",)
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return self.description

    @property
    def total_cents(self) -> int:
        return self.tuition_cents + self.admin_fee_cents + self.ce_fee_cents


class Enrolment(models.Model):
    """A trainee's place in a session: held while unpaid, confirmed once paid."""

    class Status(models.TextChoices):
        HELD = SEAT_HELD, _("Held, awaiting payment")
        CONFIRMED = SEAT_CONFIRMED, _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        TRANSFERRED = "transferred", _("Moved to another date")
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
    closed_at = models.DateTimeField(_("cancelled, moved or expired"), null=True, blank=True)

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


class Payment(models.Model):
    class Method(models.TextChoices):
        STRIPE = "stripe", _("Card (Stripe)")
        OFFLINE = "offline", _("Invoice or check")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=Method.choices)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received"))

    class Meta:
        ordering = ("received_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("order", "method"), name="payment_one_per_order_and_method"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.amount_cents}"


class Refund(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Refunded")
        DUE = "due", _("To be paid back by the center")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    status = models.CharField(max_length=20, choices=Status.choices)
    stripe_refund_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.order} · −{self.amount_cents}"


class StripeEvent(models.Model):
    """Every webhook event received, so that a replay does nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_events"
    )

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


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


class RosterMessage(models.Model):
    """What the coordinator wrote to a session's roster; each trainee's copy is an email in
    the outbox. The form's token makes sending the same form twice send it once."""

    session = models.ForeignKey(
        "catalog.Session", on_delete=models.PROTECT, related_name="+", verbose_name=_("session")
    )
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("message"))
    sent_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    token = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("roster message")
        verbose_name_plural = _("roster messages")

    def __str__(self) -> str:
        return self.subject


class SignInSheet(models.Model):
    """A printable sign-in sheet, rendered by the worker while the coordinator watches a page
    that refreshes itself, then kept for a while (services/sign_in_sheets.py). What it prints
    is fingerprinted: once the roster changes, the sheet is not served any more."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    session = models.ForeignKey(
        "catalog.Session", on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    # The chosen roster entries; null for the whole roster ("select all"), newcomers included.
    enrolment_ids = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    trainees = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREPARING)
    pdf = models.FileField(_("PDF"), upload_to="sign-in-sheets/%Y/", blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("-requested_at", "-pk")
        verbose_name = _("sign-in sheet")
        verbose_name_plural = _("sign-in sheets")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} · {self.session_id} · {self.requested_at:%Y-%m-%d %H:%M}"


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


class RosterEntry(Enrolment):
    """An enrolment as a session's roster shows it: the coordinator's attendance sheet."""

    class Meta:
        proxy = True
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")

    def __str__(self) -> str:
        try:
            name = self.trainee.trainee_profile.legal_name
        except TraineeProfile.DoesNotExist:
            name = self.trainee.email
        return f"{name} · {self.session}"


# --------------------------------------------------------------------------------------
# Gated offerings: practicum invitations, the experiential intake, interest lists
# --------------------------------------------------------------------------------------


def new_token() -> str:
    """An unguessable token for a link sent by email (256 bits)."""
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """Staff invite someone, by email, to register for an invitation-only offering.

    The link is single use: opening it signed in binds the invitation to that trainee
    (`used_at`). From then on the trainee may register for the offering until a paid order
    of theirs contains it, or staff revoke the invitation. `expires_at` bounds the link.
    """

    offering = models.ForeignKey(
        "catalog.Offering",
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("offering"),
    )
    email = models.EmailField(_("email"))
    trainee = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("accepted by"),
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("link expires"))
    used_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} · {self.offering}"

    def get_absolute_url(self) -> str:
        return reverse("registration:invitation", kwargs={"token": self.token})


class IntakeQuestion(models.Model):
    """One question of the experiential intake, as staff configure it."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        YES_NO = "yes_no", _("Yes or no")
        CHOICE = "choice", _("Choice")
        DATE = "date", _("Date")

    text = models.CharField(_("question"), max_length=500)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=Kind.choices)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice question: one choice per line.")
    )
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("asked"), default=True)

    class Meta:
        ordering = ("position", "pk")
        verbose_name = _("intake question")
        verbose_name_plural = _("intake questions")

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Intake(models.Model):
    """A trainee's medical and psychological intake for the experiential, and its review.

    The answers are health information: only the trainee and clinical reviewers see them.
    Withdrawing deletes the answers and keeps the record of the decision.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted, awaiting review")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    trainee = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="intakes", verbose_name=_("trainee")
    )
    submitted_at = models.DateTimeField(_("submitted"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    reviewed_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    approved_until = models.DateTimeField(_("approved until"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ("-submitted_at", "-pk")
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        constraints = [
            models.UniqueConstraint(
                fields=("trainee",),
                condition=Q(status="submitted"),
                name="intake_one_awaiting_review",
            )
        ]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.get_status_display()}"


class IntakeAnswer(models.Model):
    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        IntakeQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The question as it was asked, should staff reword it later.
    question_text = models.CharField(max_length=500)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.question_text


class IntakeAccessLog(models.Model):
    """One time a member of staff was shown intake data: who, when, on which page, which
    intakes and which of their fields. Written only by registration.services.intake, one row
    per page shown however many intakes it lists; read in the admin by superusers and
    clinical reviewers, changed or deleted by nobody."""

    class Page(models.TextChoices):
        ADMIN_LIST = "admin_list", _("Intakes in admin")
        ADMIN_DETAIL = "admin_detail", _("An intake in admin")
        REVIEW_LIST = "review_list", _("Intakes to review")
        REVIEW = "review", _("Review of an intake")

    # Shown as "answers" beside the intake's own fields.
    ANSWERS = "answers"

    viewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("viewed by")
    )
    viewed_at = models.DateTimeField(_("viewed"))
    page = models.CharField(_("page"), max_length=20, choices=Page.choices)
    fields = models.JSONField(_("fields shown"), default=list)
    intakes = models.ManyToManyField(
        Intake,
        through="IntakeAccessLogIntake",
        related_name="access_log",
        verbose_name=_("intakes shown"),
    )

    class Meta:
        ordering = ("-viewed_at", "-pk")
        verbose_name = _("intake access")
        verbose_name_plural = _("intake access log")

    def __str__(self) -> str:
        return f"{self.viewed_by} · {self.get_page_display()}"


class IntakeAccessLogIntake(models.Model):
    """One intake shown in one recorded view."""

    log = models.ForeignKey(IntakeAccessLog, on_delete=models.PROTECT, related_name="+")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("log", "intake"), name="intake_access_once_per_view")
        ]

    def __str__(self) -> str:
        return f"{self.log_id} · {self.intake_id}"


# --------------------------------------------------------------------------------------
# Interest lists: visitors hear once when an offering's dates are published
# --------------------------------------------------------------------------------------


class InterestSignup(models.Model):
    """A visitor's name and email on an offering's interest list, confirmed by double opt-in.

    The email is stored lowercased; one active (not unsubscribed) signup per offering and email.
    The token makes both the confirmation and the unsubscribe links.
    """

    offering = models.ForeignKey(
        "catalog.Offering",
        on_delete=models.PROTECT,
        related_name="interest_signups",
        verbose_name=_("offering"),
    )
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"))
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("signed up"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("interest signup")
        verbose_name_plural = _("interest signups")
        constraints = [
            models.UniqueConstraint(
                fields=("offering", "email"),
                condition=Q(unsubscribed_at__isnull=True),
                name="interest_one_active_signup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.offering}"

    @property
    def status(self) -> str:
        if self.unsubscribed_at:
            return str(_("Unsubscribed"))
        if self.confirmed_at:
            return str(_("Confirmed"))
        return str(_("Awaiting confirmation"))


class InterestNotification(models.Model):
    """That a signup was emailed about a published session: at most once per session."""

    signup = models.ForeignKey(
        InterestSignup, on_delete=models.PROTECT, related_name="notifications"
    )
    session = models.ForeignKey(
        "catalog.Session", on_delete=models.PROTECT, related_name="interest_notifications"
    )
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        ordering = ("-sent_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("signup", "session"), name="interest_notified_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.signup} · {self.session_id}"


# --------------------------------------------------------------------------------------
# Contact inquiries: one form per topic, each topic emailed to its own recipient
# --------------------------------------------------------------------------------------


class InquiryTopic(models.TextChoices):
    """What visitors write to the center about (the contacts listed on the trainings page)."""

    KAP_CONSULTATION = (
        "kap-consultation",
        _("Ketamine Assisted Psychotherapy consultation for providers"),
    )
    SUPPORT_GROUP = "support-group", _("The support group for ketamine providers")
    KAP_GROUP = "kap-group", _("The KAP group for eligible clinicians")
    WORKING_HERE = "working-at-the-center", _("Working at the center")
    ORGANIZATIONS = (
        "trainings-for-organizations",
        _("Trainings or speaking engagements for organizations"),
    )
    CERTIFICATE = "certificate-of-attendance", _("The Certificate of Attendance")
    NURSES_CE = "ce-for-nurses", _("CE for nurses")
    EXPERIENTIAL = "experiential-workshop", _("The Experiential Workshop")


class InquiryRecipient(models.Model):
    """Who receives the inquiries about one topic."""

    topic = models.CharField(_("topic"), max_length=40, choices=InquiryTopic.choices, unique=True)
    email = models.EmailField(_("send to"))

    class Meta:
        ordering = ("topic",)
        verbose_name = _("inquiry recipient")
        verbose_name_plural = _("inquiry recipients")

    def __str__(self) -> str:
        return f"{self.get_topic_display()} → {self.email}"


class Inquiry(models.Model):
    """A message a visitor sent through a contact form."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ANSWERED = "answered", _("Answered")

    topic = models.CharField(_("topic"), max_length=40, choices=InquiryTopic.choices)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"))
    message = models.TextField(_("message"), max_length=5000)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    created_at = models.DateTimeField(_("received"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")

    def __str__(self) -> str:
        return f"{self.get_topic_display()} · {self.email}"


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


# --------------------------------------------------------------------------------------
# Closed accounts: the trainee's login is gone; the records the CE rules keep stay theirs
# --------------------------------------------------------------------------------------


class AccountClosure(models.Model):
    """That a trainee closed their account, and when. The user row stays, so that orders,
    rosters, certificates and evaluations kept for four years remain attributed."""

    user = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="account_closure", verbose_name=_("account")
    )
    closed_at = models.DateTimeField(_("closed"))

    class Meta:
        ordering = ("-closed_at", "-pk")
        verbose_name = _("closed account")
        verbose_name_plural = _("closed accounts")

    def __str__(self) -> str:
        try:
            return self.user.trainee_profile.legal_name
        except TraineeProfile.DoesNotExist:
            return self.user.get_username()
