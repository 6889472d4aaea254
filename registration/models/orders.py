"""Carts, orders with their price snapshots, payments and refunds, and the Stripe events
received. Orders are never deleted; changes are logged."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL


# Unambiguous characters for order codes read out over the phone.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_order_code() -> str:
    return "PT-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


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
