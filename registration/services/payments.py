"""Card payments through Stripe Checkout: start a payment, fulfil it (idempotently, from the
success redirect or the webhook alike), handle webhook events, and refund."""

import contextlib
import logging
from datetime import datetime, timedelta

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from catalog.formatting import format_cents

from ..models import Enrolment, Order, OrderLine, Payment, Refund, StripeEvent
from .emails import email_queue
from .exceptions import OrderStateError, StaffActionRefused
from .orders import order_cancel, order_confirm

logger = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires less than 30 minutes after it creates it;
# the margin covers the time between placing the order and Stripe receiving the request.
CHECKOUT_MINIMUM_LIFETIME = timedelta(minutes=30, seconds=60)

# The library would otherwise write a telemetry id under the home directory.
stripe.enable_telemetry = False


class PaymentUnavailable(Exception):
    """Stripe could not be reached or refused; the trainee sees the message."""


class WebhookRejected(Exception):
    """A webhook whose signature is missing, wrong or stale: not from Stripe."""


def stripe_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    options = {}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        **options,
    )


def checkout_possible(*, order: Order, now: datetime) -> bool:
    """Whether the order can be paid on a Checkout page: a card order awaiting payment, while
    its seats are held."""
    return (
        stripe_enabled()
        and order.status == Order.Status.PENDING
        and order.payment_method == Order.Method.STRIPE
        and order.expires_at > now
    )


def checkout_start(*, order: Order, site_url: str, now: datetime) -> str:
    """The URL of the order's Checkout Session, created now if it has none, to send the
    trainee to.

    The seats stay held exactly as long as the Checkout Session is open. The session is
    recorded in the transaction that extends the hold, under the order's lock, so that only a
    session the site recorded is ever shown to the trainee: if that transaction is lost (the
    database connection dropped), the order keeps its seats and "Pay" creates another one
    while the hold lasts. If Stripe fails, the order is cancelled (its seats released) and its
    items go back in the cart, so that trying again works.
    """
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
            if not checkout_possible(order=locked, now=now):
                raise OrderStateError(_("This order cannot be paid online any more."))
            if locked.stripe_checkout_url:
                return locked.stripe_checkout_url
            _hold_until_checkout_expires(order=locked, now=now)
            params = _checkout_params(order=locked, site_url=site_url)
            session = stripe_client().v1.checkout.sessions.create(
                params=params,
                # Another hold is another request: Stripe refuses a key reused with other
                # parameters, and replays the session of a request it already answered.
                options={"idempotency_key": f"checkout-{locked.code}-{params['expires_at']}"},
            )
            locked.stripe_checkout_session_id = session.id
            locked.stripe_checkout_url = session.url
            locked.save(update_fields=["stripe_checkout_session_id", "stripe_checkout_url"])
            log_action(locked, "registration.order.checkout_started")
            return session.url
    except stripe.StripeError as error:
        logger.warning("Stripe Checkout failed for %s: %s", order.code, error)
        order_cancel(
            order=order,
            by=None,
            now=now,
            reason=_("Card payment could not be started: %(error)s")
            % {"error": type(error).__name__},
            restore_cart=True,
        )
        raise PaymentUnavailable(
            _(
                "We could not reach our card payment provider, so nothing was charged and your "
                "seats were released. Please try again in a moment, or choose to pay by "
                "invoice or check."
            )
        ) from error


def _checkout_params(*, order: Order, site_url: str) -> dict:
    line_items = []
    for line in order.lines.select_related("offering", "credit_type"):
        line_items.append(
            _line_item(f"{line.description}", line.tuition_cents + line.admin_fee_cents)
        )
        if line.ce_fee_cents:
            line_items.append(
                _line_item(f"{line.credit_type.name} · {line.offering.label}", line.ce_fee_cents)
            )
    return {
        "mode": "payment",
        "line_items": [item for item in line_items if item["price_data"]["unit_amount"] > 0],
        "client_reference_id": order.code,
        "metadata": {"order_code": order.code, "order_id": str(order.pk)},
        "payment_intent_data": {"metadata": {"order_code": order.code}},
        "customer_email": order.trainee.email,
        "expires_at": int(order.expires_at.timestamp()),
        "success_url": site_url
        + reverse("registration:checkout_success")
        + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": site_url + reverse("registration:order", kwargs={"code": order.code}),
    }


def checkout_close(*, checkout_session_id: str) -> bool:
    """Expire the Checkout Session of an order that was cancelled, so that its page can take
    no payment any more; True if it was open. One that is not open any more is left as it
    is: a payment that got in first is fulfilled from its webhook, seat permitting, or
    refunded. A network error is the caller's to retry; the session would anyway expire by
    itself when the order's hold ends."""
    try:
        stripe_client().v1.checkout.sessions.expire(checkout_session_id)
    except stripe.InvalidRequestError as error:
        logger.info("Checkout Session %s was not open: %s", checkout_session_id, error)
        return False
    return True


def _hold_until_checkout_expires(*, order: Order, now: datetime) -> None:
    """Hold the order's seats until the whole second at which its Checkout Session expires."""
    expires_at = max(order.expires_at, max(now, timezone.now()) + CHECKOUT_MINIMUM_LIFETIME)
    expires_at = expires_at.replace(microsecond=0)
    if expires_at == order.expires_at:
        return
    Enrolment.objects.filter(
        order_line__order=order,
        status=Enrolment.Status.HELD,
        hold_expires_at__lt=expires_at,
    ).update(hold_expires_at=expires_at)
    Order.objects.filter(pk=order.pk).update(expires_at=expires_at)
    order.expires_at = expires_at


def _line_item(name: str, amount_cents: int) -> dict:
    return {
        "quantity": 1,
        "price_data": {
            "currency": "usd",
            "unit_amount": amount_cents,
            "product_data": {"name": name[:250]},
        },
    }


def checkout_fulfil(*, checkout_session_id: str, now: datetime) -> Order | None:
    """Fulfil the order paid by a Checkout Session, from what Stripe says (never the caller).

    Called by the success redirect and by the webhook; running it twice does nothing more.
    """
    session = stripe_client().v1.checkout.sessions.retrieve(checkout_session_id)
    order = Order.objects.filter(stripe_checkout_session_id=session.id).first()
    if order is None:
        logger.warning("Checkout Session %s matches no order", session.id)
        return None
    if session.client_reference_id and session.client_reference_id != order.code:
        _flag(
            order,
            _("The Checkout Session names another order (%(ref)s).")
            % {"ref": session.client_reference_id},
        )
        return order
    if session.payment_status != "paid":
        return order
    if (
        session.amount_total != order.total_cents
        or (session.currency or "").lower() != order.currency
    ):
        _flag(
            order,
            _(
                "Stripe reports %(paid)s %(currency)s paid, but the order is for %(total)s: not fulfilled."
            )
            % {
                "paid": format_cents(session.amount_total or 0),
                "currency": (session.currency or "").upper(),
                "total": format_cents(order.total_cents),
            },
        )
        return order
    payment_intent = (
        session.payment_intent
        if isinstance(session.payment_intent, str)
        else (session.payment_intent.id if session.payment_intent else "")
    )
    order, confirmed = order_confirm(
        order_id=order.pk,
        method=Order.Method.STRIPE,
        amount_cents=session.amount_total,
        now=now,
        payment_intent_id=payment_intent,
    )
    # Paid, but a seat was gone after the hold expired: give the money back, once.
    if (
        not confirmed
        and order.flagged_reason
        and order.status != Order.Status.PAID
        and order.refundable_cents > 0
    ):
        refund_issue(
            order=order,
            amount_cents=order.refundable_cents,
            reason=_("Seat no longer available after the hold expired"),
            by=None,
            idempotency_key=f"auto-refund-{order.code}",
            notice="refund_late_payment",
        )
    return order


def _flag(order: Order, reason: str) -> None:
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if locked.flagged_reason == reason:
            return
        locked.flagged_reason = reason
        locked.save(update_fields=["flagged_reason"])
        log_action(locked, "registration.order.flagged", data={"reason": str(reason)})


def checkout_failed(*, checkout_session_id: str, now: datetime, reason: str) -> None:
    """An expired or failed Checkout Session releases the seats of its unpaid order.

    What Stripe's API says about the session decides, not the event: a session that is still
    open is left alone, and one that turns out paid is fulfilled.
    """
    order = Order.objects.filter(stripe_checkout_session_id=checkout_session_id).first()
    if order is None or order.status != Order.Status.PENDING:
        return
    session = stripe_client().v1.checkout.sessions.retrieve(checkout_session_id)
    if session.payment_status == "paid":
        checkout_fulfil(checkout_session_id=checkout_session_id, now=now)
        return
    if session.status == "open":
        return
    with contextlib.suppress(OrderStateError):
        order_cancel(order=order, by=None, now=now, reason=reason, close_checkout=False)


def refund_issue(
    *,
    order: Order,
    amount_cents: int,
    reason: str,
    by,
    idempotency_key: str,
    order_line=None,
    notice: str | None = "refund_issued",
) -> Refund:
    """Refund part or all of a paid order: through Stripe for card payments, else recorded
    as due from the center. Never more than what is still refundable. The trainee is told
    by an email of the `notice` kind (templates/registration/emails/), unless the caller's
    own email says it (None)."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if amount_cents <= 0:
            raise ValueError(_("A refund must be more than $0."))
        if amount_cents > order.refundable_cents:
            raise ValueError(
                _("At most %(max)s of this order can still be refunded.")
                % {"max": format_cents(order.refundable_cents)}
            )
        stripe_refund_id = None
        status = Refund.Status.DUE
        if order.payment_method == Order.Method.STRIPE and order.stripe_payment_intent_id:
            try:
                refund = stripe_client().v1.refunds.create(
                    params={
                        "payment_intent": order.stripe_payment_intent_id,
                        "amount": amount_cents,
                        "metadata": {"order_code": order.code},
                    },
                    options={"idempotency_key": idempotency_key},
                )
            except stripe.StripeError as error:
                raise PaymentUnavailable(
                    _("Stripe could not make the refund: %(error)s")
                    % {"error": error.user_message or error}
                ) from error
            existing = Refund.objects.filter(stripe_refund_id=refund.id).first()
            if existing is not None:
                return existing
            stripe_refund_id, status = refund.id, Refund.Status.SUCCEEDED
        record = Refund.objects.create(
            order=order,
            order_line=order_line,
            amount_cents=amount_cents,
            status=status,
            stripe_refund_id=stripe_refund_id,
            reason=reason,
            created_by=by,
        )
        order.refunded_cents += amount_cents
        order.save(update_fields=["refunded_cents"])
        if order_line is not None:
            order_line.refunded_cents += amount_cents
            order_line.save(update_fields=["refunded_cents"])
        log_action(
            order,
            "registration.order.refunded",
            actor=by,
            data={"amount_cents": amount_cents, "status": record.status, "reason": str(reason)},
        )
        if notice:
            _refund_notice(record, kind=notice)
    return record


def _refund_notice(refund: Refund, *, kind: str = "refund_issued") -> None:
    """Tell the trainee that money is on its way back, in the refund's transaction."""
    email_queue(
        kind=kind,
        to=refund.order.trainee.email,
        key=f"refund:{refund.pk}",
        order=refund.order,
        refund=refund,
    )


def refund_record_from_stripe(*, refund: dict | stripe.Refund) -> Refund | None:
    """Record a refund made in the Stripe dashboard (charge.refunded / refund.* events)."""
    payment_intent = refund["payment_intent"]
    order = Order.objects.filter(stripe_payment_intent_id=payment_intent).first()
    if order is None or refund["status"] not in ("succeeded", "pending"):
        return None
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
            if Refund.objects.filter(stripe_refund_id=refund["id"]).exists():
                return None
            amount = min(refund["amount"], locked.refundable_cents)
            record = Refund.objects.create(
                order=locked,
                amount_cents=amount,
                status=Refund.Status.SUCCEEDED,
                stripe_refund_id=refund["id"],
                reason=_("Refunded in the Stripe dashboard"),
            )
            locked.refunded_cents += amount
            locked.save(update_fields=["refunded_cents"])
            log_action(
                locked, "registration.order.refunded_in_stripe", data={"amount_cents": amount}
            )
            _refund_notice(record)
            return record
    except IntegrityError:
        return None


HANDLED_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "charge.refund.updated",
}


def webhook_handle(*, payload: bytes, signature: str) -> str:
    """Verify, de-duplicate and act on one webhook event. Raises WebhookRejected for a bad
    signature; any other error propagates (a 500), so that Stripe retries the event. An
    event about a Checkout Session or payment the site did not make (another integration on
    the account, or an id Stripe does not know) is acknowledged, logged, and changes nothing.

    Returns what was done ("ignored", "replayed", "handled").
    """
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise WebhookRejected(str(error)) from error
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event.id, type=event.type)
    except IntegrityError:
        return "replayed"
    if event.type not in HANDLED_EVENTS:
        return "ignored"
    if not _concerns_an_order(event):
        logger.warning(
            "Stripe event %s (%s) about %s %s concerns no order of this site: acknowledged, "
            "nothing changed",
            event.id,
            event.type,
            getattr(event.data.object, "object", ""),
            getattr(event.data.object, "id", ""),
        )
        return "ignored"
    try:
        _dispatch(event)
    except Exception:
        # Forget the event so that Stripe's retry is processed, not taken for a replay.
        StripeEvent.objects.filter(event_id=event.id).delete()
        raise
    return "handled"


def _concerns_an_order(event) -> bool:
    """Whether the event's Checkout Session, or the payment its refund is for, is an order's
    (as the signed payload names it; what happened is then asked of Stripe's API)."""
    obj = event.data.object
    if event.type.startswith("checkout.session."):
        return Order.objects.filter(stripe_checkout_session_id=getattr(obj, "id", "")).exists()
    payment_intent = getattr(obj, "payment_intent", None)
    if payment_intent is not None and not isinstance(payment_intent, str):
        payment_intent = getattr(payment_intent, "id", None)
    return (
        bool(payment_intent)
        and Order.objects.filter(stripe_payment_intent_id=payment_intent).exists()
    )


def _dispatch(event) -> None:
    obj = event.data.object
    now = timezone.now()
    if event.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        checkout_fulfil(checkout_session_id=obj["id"], now=now)
    elif event.type == "checkout.session.async_payment_failed":
        checkout_failed(checkout_session_id=obj["id"], now=now, reason=_("The payment failed."))
    elif event.type == "checkout.session.expired":
        checkout_failed(
            checkout_session_id=obj["id"], now=now, reason=_("The card payment page expired.")
        )
    elif event.type == "charge.refunded":
        # Newer API versions leave a charge's refunds out of the event: nothing to record then,
        # and the refund.* events carry them instead.
        refunds = getattr(obj, "refunds", None)
        for refund in refunds.data if refunds else []:
            refund_record_from_stripe(refund=_refund_from_stripe(refund["id"]))
    else:
        refund_record_from_stripe(refund=_refund_from_stripe(obj["id"]))


def _refund_from_stripe(refund_id: str) -> stripe.Refund:
    """The refund as Stripe's API has it now, rather than as the event's payload said."""
    return stripe_client().v1.refunds.retrieve(refund_id)


# --------------------------------------------------------------------------------------
# A card payment whose amount did not match its order
# --------------------------------------------------------------------------------------


def payment_mismatch_open(*, order: Order) -> bool:
    """Whether the order may hold a card payment that was flagged and never fulfilled (an
    amount that did not match): the coordinator can refund it (payment_mismatch_refund)."""
    return bool(
        order.flagged_reason
        and order.stripe_checkout_session_id
        and order.status != Order.Status.PAID
        and not order.payments.exists()
    )


def payment_mismatch_refund(*, order: Order, by, now: datetime) -> Refund:
    """Resolve a card payment whose amount did not match its order: record what Stripe took,
    refund all of it, cancel the order if it still holds seats, and tell the trainee why.

    What Stripe's API says about the payment decides, never the flag's text. A payment above
    the order's total is refused here (the order's refunds can't exceed it): the Stripe
    dashboard refunds it, and its webhook records it.
    """
    try:
        session = stripe_client().v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    except stripe.StripeError as error:
        raise PaymentUnavailable(
            _("Stripe could not be reached: %(error)s") % {"error": error.user_message or error}
        ) from error
    paid = session.amount_total or 0
    if session.payment_status != "paid" or not paid:
        raise OrderStateError(_("Stripe holds no payment for this order: nothing to refund."))
    if paid == order.total_cents and (session.currency or "").lower() == order.currency:
        raise OrderStateError(
            _("The payment matches the order's total: there is no mismatch to resolve.")
        )
    if paid > order.total_cents:
        raise OrderStateError(
            _(
                "Stripe took %(paid)s, more than the order's %(total)s: refund it in the Stripe "
                "dashboard, where the refund is recorded on the order."
            )
            % {"paid": format_cents(paid), "total": format_cents(order.total_cents)}
        )
    payment_intent = (
        session.payment_intent
        if isinstance(session.payment_intent, str)
        else (session.payment_intent.id if session.payment_intent else "")
    )
    reason = _("The card payment of %(paid)s did not match the order's %(total)s.") % {
        "paid": format_cents(paid),
        "total": format_cents(order.total_cents),
    }
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if locked.payments.exists() or locked.status == Order.Status.PAID:
            raise OrderStateError(
                _("Order %(code)s's payment was resolved already.") % {"code": locked.code}
            )
        Payment.objects.create(
            order=locked,
            method=Order.Method.STRIPE,
            amount_cents=paid,
            stripe_payment_intent_id=payment_intent,
            recorded_by=by,
            note=reason,
            received_at=now,
        )
        locked.stripe_payment_intent_id = payment_intent
        locked.flagged_reason = ""
        locked.save(update_fields=["stripe_payment_intent_id", "flagged_reason"])
        if locked.status == Order.Status.PENDING:
            order_cancel(order=locked, by=by, now=now, reason=reason, close_checkout=False)
        return refund_issue(
            order=locked,
            amount_cents=paid,
            reason=reason,
            by=by,
            idempotency_key=f"mismatch-refund-{locked.code}",
            notice="payment_mismatch_refunded",
        )


def order_refund_by_staff(
    *,
    order: Order,
    amount_cents: int,
    reason: str,
    by,
    refunded_cents_seen: int,
    order_line: OrderLine | None = None,
) -> Refund:
    """Refund part or all of a paid order: through Stripe for a card payment (with an
    idempotency key, so a resubmitted form refunds once), else recorded as due.

    `refunded_cents_seen` is what had been refunded when the coordinator opened the page: if
    another refund happened since, nothing is done and the coordinator looks again. A refund
    for one registration names its `order_line`, so that a later cancellation under the
    policy deducts it.
    """
    reason = reason.strip()
    if not reason:
        raise StaffActionRefused(_("Give the reason for the refund."))
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if order.status != Order.Status.PAID and not order.payments.exists():
            raise StaffActionRefused(
                _("Order %(code)s was not paid: there is nothing to refund.") % {"code": order.code}
            )
        if order.refunded_cents != refunded_cents_seen:
            raise StaffActionRefused(
                _(
                    "Order %(code)s was refunded %(amount)s meanwhile. Check the amounts below "
                    "and refund again if more is due."
                )
                % {
                    "code": order.code,
                    "amount": format_cents(order.refunded_cents - refunded_cents_seen),
                }
            )
        if amount_cents <= 0:
            raise StaffActionRefused(_("A refund must be more than $0."))
        if amount_cents > order.refundable_cents:
            raise StaffActionRefused(
                _("At most %(max)s can still be refunded.")
                % {"max": format_cents(order.refundable_cents)}
            )
        if order_line is not None:
            order_line = OrderLine.objects.select_for_update(of=("self",)).get(
                pk=order_line.pk, order=order
            )
            if amount_cents > order_line.total_cents - order_line.refunded_cents:
                raise StaffActionRefused(
                    _("At most %(max)s of %(line)s can still be refunded.")
                    % {
                        "max": format_cents(order_line.total_cents - order_line.refunded_cents),
                        "line": order_line.description,
                    }
                )
        return refund_issue(
            order=order,
            order_line=order_line,
            amount_cents=amount_cents,
            reason=reason,
            by=by,
            idempotency_key=f"staff-refund-{order.code}-{refunded_cents_seen}-{amount_cents}",
        )
