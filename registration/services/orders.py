"""Placing, confirming, expiring and cancelling orders.

The amount charged is computed here, on the server, from the catalog at order time, and
snapshotted on the order lines; nothing the browser sends sets a price.

What the coordinator does from the admin:
- Cancelling a paid order cancels its upcoming confirmed registrations and frees their seats,
  but refunds nothing: the right amount depends on why (the trainee's request within the
  policy, the center's cancellation, a goodwill gesture), so the coordinator refunds as a
  separate, deliberate step on the order's Refund page (payments.order_refund_by_staff).
- A manual registration skips the trainee-facing eligibility rules (prerequisites, intake,
  registration window): the coordinator decides. It still needs a free seat in an open
  session, no other registration for the same training, and CE the trainee's license allows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import log_action
from catalog.models import Bundle, CreditType, Offering, Session, SiteSettings, seats_taken_q

from ..background import CHECKOUT_CLOSE, task_queue
from ..models import CartItem, Enrolment, Order, OrderLine, Payment, WaitlistEntry
from ..pricing import BundlePrice, ItemPrice, Quote, quote
from ..rules import CartCheck, ce_options, check_cart
from ..selectors import (
    cart_items,
    credit_type_facts,
    held_offers,
    item_facts,
    module_offering_ids,
    profile_of,
    trainee_facts,
    user_display,
)
from .emails import email_queue
from .exceptions import OrderRefused, OrderStateError, ProfileRequired, StaffActionRefused
from .seats import seats_changed, seats_left_locked, sessions_lock
from .waitlist import waitlist_offer_next


@dataclass(frozen=True)
class CartSummary:
    items: list[CartItem]
    check: CartCheck
    quote: Quote | None
    bundle: Bundle | None


def _bundle_of(items: list[CartItem]) -> Bundle | None:
    bundles = {item.bundle_id: item.bundle for item in items if item.bundle_id}
    return next(iter(bundles.values())) if len(bundles) == 1 else None


def _evaluate(
    *, trainee, items: list[CartItem], seats_left: dict[int, int], now: datetime
) -> tuple[CartCheck, Quote | None, Bundle | None]:
    """The rules' verdict and the price of a cart, from facts read by the caller."""
    offers = held_offers(trainee=trainee, now=now)
    facts = trainee_facts(trainee=trainee, now=now)
    bundle = _bundle_of(items)
    bundle_offerings = list(bundle.offerings.all()) if bundle else []
    modules = module_offering_ids()
    check = check_cart(
        trainee=facts,
        items=[
            item_facts(
                session=item.session,
                seats_taken=item.session.capacity - seats_left.get(item.session_id, 0),
                credit_type=item.credit_type,
                ce_notice_acknowledged=item.ce_notice_acknowledged,
                holds_seat=item.session_id in offers,
                module_offering_ids=modules,
            )
            for item in items
        ],
        now=now,
        bundle_offering_ids=frozenset(o.pk for o in bundle_offerings) if bundle else None,
        bundle_offering_labels={o.pk: str(o.label) for o in bundle_offerings} if bundle else None,
    )
    if not items or any(not item.session.offering.has_price for item in items):
        return check, None, bundle
    ce_fees = {
        (credit.offering_id, credit.credit_type_id): credit.fee_cents
        for item in items
        for credit in item.offering.credits.all()
    }
    prices = [
        ItemPrice(
            session_id=item.session_id,
            offering_id=item.offering_id,
            tuition_cents=item.session.offering.tuition_cents,
            admin_fee_cents=item.session.offering.admin_fee_cents,
            ce_fee_cents=ce_fees.get((item.offering_id, item.credit_type_id), 0),
            ce_credit_type=item.credit_type.code if item.credit_type else None,
        )
        for item in items
    ]
    bundle_price = (
        BundlePrice(
            bundle_id=bundle.pk,
            tuition_cents=bundle.tuition_cents,
            admin_fee_cents=bundle.admin_fee_cents,
            offering_ids=frozenset(o.pk for o in bundle_offerings),
        )
        if bundle
        else None
    )
    try:
        return check, quote(items=prices, bundle=bundle_price), bundle
    except ValueError:
        # An incomplete bundle: the rules already refuse it with a message.
        return check, None, bundle


def cart_summary(*, trainee, now: datetime) -> CartSummary:
    """What the cart page shows: items, each item's problems, and the itemised quote."""
    items = cart_items(trainee=trainee)
    taken = Session.objects.seats_taken_by_id(session_ids=[i.session_id for i in items], now=now)
    seats_left = {
        i.session_id: max(i.session.capacity - taken.get(i.session_id, 0), 0) for i in items
    }
    check, priced, bundle = _evaluate(trainee=trainee, items=items, seats_left=seats_left, now=now)
    return CartSummary(items=items, check=check, quote=priced, bundle=bundle)


def _hold_until(*, method: str, now: datetime) -> datetime:
    site = SiteSettings.current()
    if method == Order.Method.OFFLINE:
        return now + timedelta(days=site.offline_hold_days)
    return now + timedelta(minutes=max(site.checkout_hold_minutes, 30))


def order_place(*, trainee, payment_method: str, now: datetime) -> Order:
    """Turn the trainee's cart into a pending order that holds its seats.

    The sessions are locked first; seats, rules and prices are all read after the lock.
    """
    if payment_method not in (Order.Method.STRIPE, Order.Method.OFFLINE):
        raise OrderRefused(message=_("Choose how you will pay."))
    with transaction.atomic():
        items = cart_items(trainee=trainee)
        if not items:
            raise OrderRefused(message=_("Your cart is empty."))
        profile = profile_of(trainee)
        if profile is None or not profile.is_complete:
            raise ProfileRequired()
        sessions = sessions_lock(item.session_id for item in items)
        seats_left = seats_left_locked(sessions, now=now)
        check, priced, bundle = _evaluate(
            trainee=trainee, items=items, seats_left=seats_left, now=now
        )
        if not check.ok or priced is None:
            raise OrderRefused(check)
        expires_at = _hold_until(method=payment_method, now=now)
        order = Order.objects.create(
            trainee=trainee,
            payment_method=payment_method,
            total_cents=priced.total_cents,
            bundle=bundle,
            expires_at=expires_at,
        )
        offers = held_offers(trainee=trainee, now=now)
        by_session = {item.session_id: item for item in items}
        for priced_item in priced.items:
            item = by_session[priced_item.session_id]
            credit = next(
                (c for c in item.offering.credits.all() if c.credit_type_id == item.credit_type_id),
                None,
            )
            line = OrderLine.objects.create(
                order=order,
                session=item.session,
                offering=item.offering,
                description=f"{item.offering.display_title} · {item.session.when}",
                tuition_cents=priced_item.tuition_cents,
                admin_fee_cents=priced_item.admin_fee_cents,
                ce_fee_cents=priced_item.ce_fee_cents,
                credit_type=item.credit_type if credit else None,
                ce_credits=credit.credits if credit else None,
                bundle=bundle if priced_item.bundle_id else None,
            )
            offer = offers.get(item.session_id)
            if offer is not None:
                hold = offer.hold
                hold.order_line = line
                hold.credit_type = line.credit_type
                hold.hold_expires_at = max(expires_at, hold.hold_expires_at)
                hold.save(update_fields=["order_line", "credit_type", "hold_expires_at"])
                offer.status = WaitlistEntry.Status.ACCEPTED
                offer.save(update_fields=["status"])
            else:
                Enrolment.objects.create(
                    session=item.session,
                    trainee=trainee,
                    status=Enrolment.Status.HELD,
                    hold_expires_at=expires_at,
                    order_line=line,
                    credit_type=line.credit_type,
                )
        CartItem.objects.filter(trainee=trainee).delete()
        log_action(
            order,
            "registration.order.placed",
            actor=trainee,
            data={"total_cents": order.total_cents, "method": order.payment_method},
        )
        if payment_method == Order.Method.OFFLINE:
            email_queue(
                kind="order_awaiting_payment",
                to=trainee.email,
                key=f"order_awaiting_payment:{order.pk}",
                order=order,
            )
    seats_changed()
    return order


def _lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order_id)


def order_confirm(
    *,
    order_id: int,
    method: str,
    amount_cents: int,
    now: datetime,
    payment_intent_id: str = "",
    recorded_by=None,
    note: str = "",
) -> tuple[Order, bool]:
    """Record the payment and confirm the order's seats. Idempotent.

    Returns the order and whether seats were confirmed. A hold that expired is confirmed
    only if its seat is still free; otherwise the order is flagged for the coordinator and
    nothing is overbooked (the caller refunds it).
    """
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.status == Order.Status.PAID:
            return order, False
        if order.payments.exists():
            # Paid, then found short of seats and refunded: nothing more to do.
            return order, False
        enrolments = list(
            Enrolment.objects.filter(order_line__order=order, status__in=_HOLDING)
            .select_related("session")
            .order_by("pk")
        )
        sessions = sessions_lock(e.session_id for e in enrolments)
        seats_left = seats_left_locked(sessions, now=now)
        short = []
        for enrolment in enrolments:
            still_held = enrolment.status == Enrolment.Status.HELD and (
                enrolment.hold_expires_at > now
            )
            if still_held:
                continue
            if seats_left[enrolment.session_id] > 0:
                seats_left[enrolment.session_id] -= 1
            else:
                short.append(enrolment)
        Payment.objects.create(
            order=order,
            method=method,
            amount_cents=amount_cents,
            stripe_payment_intent_id=payment_intent_id,
            recorded_by=recorded_by,
            note=note,
            received_at=now,
        )
        if payment_intent_id:
            order.stripe_payment_intent_id = payment_intent_id
        if short:
            order.flagged_reason = _(
                "Paid after its seat hold expired, and %(sessions)s no longer had a free seat: "
                "refunded automatically."
            ) % {"sessions": ", ".join(str(e.session) for e in short)}
            order.save(update_fields=["flagged_reason", "stripe_payment_intent_id"])
            log_action(
                order,
                "registration.order.flagged",
                actor=recorded_by,
                data={"reason": order.flagged_reason},
            )
            # The whole order is refunded, so none of its seats stays held.
            released = _close(
                order,
                status=(
                    Order.Status.EXPIRED if order.status == Order.Status.PENDING else order.status
                ),
                enrolment_status=Enrolment.Status.EXPIRED,
                now=now,
            )
            for session_id in sorted(set(released)):
                waitlist_offer_next(session_id=session_id, now=now)
            return order, False
        for enrolment in enrolments:
            enrolment.status = Enrolment.Status.CONFIRMED
            enrolment.hold_expires_at = None
            enrolment.closed_at = None
        Enrolment.objects.bulk_update(enrolments, ["status", "hold_expires_at", "closed_at"])
        order.status = Order.Status.PAID
        order.paid_at = now
        order.closed_at = None
        order.save(update_fields=["status", "paid_at", "closed_at", "stripe_payment_intent_id"])
        log_action(
            order,
            "registration.order.paid",
            actor=recorded_by,
            data={"amount_cents": amount_cents, "method": method},
        )
        email_queue(
            kind="order_confirmation",
            to=order.trainee.email,
            key=f"order_confirmation:{order.pk}",
            order=order,
        )
    seats_changed()
    return order, True


def _close_checkout_on_commit(checkout_session_id: str) -> None:
    # Robust: with the broker down, the cancellation stands and the session expires by
    # itself when the hold ends.
    transaction.on_commit(partial(task_queue, CHECKOUT_CLOSE, checkout_session_id), robust=True)


_HOLDING = (Enrolment.Status.HELD, Enrolment.Status.EXPIRED, Enrolment.Status.CANCELLED)


def order_mark_paid_offline(*, order: Order, by, now: datetime, note: str = "") -> Order:
    """Staff record an invoice or check payment for a pending order."""
    if order.status == Order.Status.PAID or order.payments.exists():
        raise OrderStateError(_("Order %(code)s is already paid.") % {"code": order.code})
    confirmed_order, confirmed = order_confirm(
        order_id=order.pk,
        method=Order.Method.OFFLINE,
        amount_cents=order.total_cents,
        now=now,
        recorded_by=by,
        note=note,
    )
    if not confirmed and confirmed_order.status != Order.Status.PAID:
        raise OrderStateError(confirmed_order.flagged_reason)
    return confirmed_order


def _close(order: Order, *, status: str, enrolment_status: str, now: datetime) -> list[int]:
    """Close an unpaid order and release its held seats; returns the sessions concerned."""
    order.status = status
    order.closed_at = now
    order.save(update_fields=["status", "closed_at"])
    held = Enrolment.objects.filter(order_line__order=order, status=Enrolment.Status.HELD)
    session_ids = list(held.values_list("session_id", flat=True))
    _waitlist_offers_restore(order=order, now=now)
    held.update(status=enrolment_status, closed_at=now)
    return session_ids


def _waitlist_offers_restore(*, order: Order, now: datetime) -> None:
    """A waitlist offer outlives an order that did not go through (payment page abandoned,
    Stripe unreachable): until the offer ends, its seat stays held for the trainee."""
    entries = WaitlistEntry.objects.select_for_update(of=("self",)).filter(
        status=WaitlistEntry.Status.ACCEPTED,
        offer_expires_at__gt=now,
        hold__order_line__order=order,
        hold__status=Enrolment.Status.HELD,
    )
    for entry in entries:
        entry.hold = Enrolment.objects.create(
            session_id=entry.session_id,
            trainee_id=entry.trainee_id,
            status=Enrolment.Status.HELD,
            hold_expires_at=entry.offer_expires_at,
        )
        entry.status = WaitlistEntry.Status.OFFERED
        entry.save(update_fields=["hold", "status"])


def order_expire(*, order_id: int, now: datetime) -> bool:
    """Release an unpaid order's seats once its hold has passed. True if it expired now."""
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.status != Order.Status.PENDING or order.expires_at > now:
            return False
        session_ids = _close(
            order, status=Order.Status.EXPIRED, enrolment_status=Enrolment.Status.EXPIRED, now=now
        )
        log_action(order, "registration.order.expired")
        for session_id in sorted(set(session_ids)):
            waitlist_offer_next(session_id=session_id, now=now)
    seats_changed()
    return True


def orders_due_to_expire(*, now: datetime) -> list[int]:
    return list(
        Order.objects.filter(status=Order.Status.PENDING, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )


def order_cancel(
    *,
    order: Order,
    by,
    now: datetime,
    reason: str,
    restore_cart: bool = False,
    close_checkout: bool = True,
) -> Order:
    """Cancel an unpaid order and release its seats; optionally put its items back in the cart.

    Its Stripe Checkout Session, if it has one, is expired once this commits, so that a page
    still open in another tab can't take a payment for it (unless the caller knows the
    session is closed already).
    """
    with transaction.atomic():
        order = _lock_order(order.pk)
        if order.status != Order.Status.PENDING:
            raise OrderStateError(
                _("Only an order awaiting payment can be cancelled this way; this one is %(s)s.")
                % {"s": order.get_status_display().lower()}
            )
        session_ids = _close(
            order,
            status=Order.Status.CANCELLED,
            enrolment_status=Enrolment.Status.CANCELLED,
            now=now,
        )
        log_action(order, "registration.order.cancelled", actor=by, data={"reason": str(reason)})
        if close_checkout and order.stripe_checkout_session_id:
            _close_checkout_on_commit(order.stripe_checkout_session_id)
        if restore_cart:
            for line in order.lines.select_related("offering"):
                CartItem.objects.update_or_create(
                    trainee=order.trainee,
                    offering=line.offering,
                    defaults={
                        "session_id": line.session_id,
                        "credit_type": line.credit_type,
                        "ce_notice_acknowledged": line.credit_type_id is not None,
                        "bundle": line.bundle,
                    },
                )
        for session_id in sorted(set(session_ids)):
            waitlist_offer_next(session_id=session_id, now=now)
    seats_changed()
    return order


# --------------------------------------------------------------------------------------
# What the coordinator does from the admin: cancel a whole order, register a trainee by hand
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderCancellation:
    order: Order
    seats_freed: int
    # Registrations in sessions that had already started: kept, since attendance and
    # certificates depend on them.
    kept_started: int
    # What the Refund page offers by default now (nothing is refunded by the cancellation).
    refund_default_cents: int


def order_cancel_by_staff(*, order: Order, by, now: datetime, reason: str) -> OrderCancellation:
    """Cancel an order and free its seats: an unpaid order is closed; a paid order keeps its
    payment and has its upcoming confirmed registrations cancelled, without a refund."""
    reason = reason.strip() or _("Cancelled by the training coordinator.")
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if order.status == Order.Status.PENDING:
            held = Enrolment.objects.filter(
                order_line__order=order, status=Enrolment.Status.HELD
            ).count()
            order = order_cancel(order=order, by=by, now=now, reason=reason)
            return OrderCancellation(
                order=order, seats_freed=held, kept_started=0, refund_default_cents=0
            )
        if order.status != Order.Status.PAID:
            raise StaffActionRefused(
                _("Order %(code)s is %(status)s: it holds no seat to free.")
                % {"code": order.code, "status": order.get_status_display().lower()}
            )
        confirmed = list(
            Enrolment.objects.select_for_update(of=("self",))
            .filter(order_line__order=order, status=Enrolment.Status.CONFIRMED)
            .select_related("session__offering", "trainee")
            .order_by("pk")
        )
        started = [e for e in confirmed if e.session.starts_at and e.session.starts_at <= now]
        upcoming = [e for e in confirmed if e not in started]
        if not upcoming:
            raise StaffActionRefused(
                _("Order %(code)s has no upcoming registration left to cancel.")
                % {"code": order.code}
            )
        for enrolment in upcoming:
            enrolment.status = Enrolment.Status.CANCELLED
            enrolment.closed_at = now
            enrolment.save(update_fields=["status", "closed_at"])
            email_queue(
                kind="enrolment_cancelled",
                to=enrolment.trainee.email,
                key=f"enrolment_cancelled:{enrolment.pk}",
                enrolment=enrolment,
            )
        log_action(
            order,
            "registration.order.cancelled_by_staff",
            actor=by,
            data={"sessions": [str(e.session) for e in upcoming], "reason": str(reason)},
        )
        for session_id in sorted({e.session_id for e in upcoming}):
            waitlist_offer_next(session_id=session_id, now=now)
    seats_changed()
    return OrderCancellation(
        order=order,
        seats_freed=len(upcoming),
        kept_started=len(started),
        refund_default_cents=refund_default_cents(order=order),
    )


def refund_default_cents(*, order: Order) -> int:
    """What the Refund page proposes: everything still refundable except the administrative
    fees, which the policy keeps (a fee is counted as kept until refunds reach into it)."""
    kept = 0
    for line in OrderLine.objects.filter(order=order):
        fee_refunded = max(line.refunded_cents - line.tuition_cents - line.ce_fee_cents, 0)
        kept += max(line.admin_fee_cents - fee_refunded, 0)
    return max(order.refundable_cents - kept, 0)


def registration_manual(
    *,
    trainee,
    session: Session,
    price_cents: int,
    credit_type: CreditType | None,
    by,
    now: datetime,
) -> Order:
    """Register a trainee by hand: a paid order of one line at the given price (0 makes it
    complimentary; a price is taken as already received by invoice or check)."""
    if price_cents < 0:
        raise StaffActionRefused(_("A price cannot be negative."))
    name = user_display(trainee)
    with transaction.atomic():
        sessions = sessions_lock([session.pk])
        session = sessions[session.pk]
        offering = Offering.objects.get(pk=session.offering_id)
        if (
            session.status != Session.Status.SCHEDULED
            or not session.starts_at
            or session.starts_at <= now
        ):
            raise StaffActionRefused(
                _("%(session)s is not open: it is cancelled, not dated yet, or has started.")
                % {"session": session}
            )
        if Enrolment.objects.filter(
            seats_taken_q(now, prefix=""), trainee=trainee, session__offering=offering
        ).exists():
            raise StaffActionRefused(
                _("%(name)s is already registered for %(offering)s.")
                % {"name": name, "offering": offering.label}
            )
        credit = None
        if credit_type is not None:
            credit = offering.credits.filter(credit_type=credit_type).first()
            if credit is None:
                raise StaffActionRefused(
                    _("%(offering)s carries no %(credit)s.")
                    % {"offering": offering.label, "credit": credit_type.name}
                )
            (option,) = ce_options(
                trainee=trainee_facts(trainee=trainee, now=now),
                credit_types=[credit_type_facts(credit_type)],
            )
            if not option.allowed:
                raise StaffActionRefused(
                    _("%(name)s cannot have %(credit)s: %(reason)s")
                    % {"name": name, "credit": credit_type.name, "reason": option.reason}
                )
        if seats_left_locked(sessions, now=now)[session.pk] <= 0:
            raise StaffActionRefused(
                _(
                    "%(session)s is full: no seat is free. Raise its capacity first, or add "
                    "the trainee to its waitlist."
                )
                % {"session": session}
            )
        method = Order.Method.COMPLIMENTARY if price_cents == 0 else Order.Method.OFFLINE
        order = Order.objects.create(
            trainee=trainee,
            status=Order.Status.PAID,
            payment_method=method,
            total_cents=price_cents,
            paid_at=now,
        )
        line = OrderLine.objects.create(
            order=order,
            session=session,
            offering=offering,
            description=f"{offering.display_title} · {session.when}",
            tuition_cents=price_cents,
            admin_fee_cents=0,
            ce_fee_cents=0,
            credit_type=credit_type if credit else None,
            ce_credits=credit.credits if credit else None,
        )
        if price_cents:
            Payment.objects.create(
                order=order,
                method=Payment.Method.OFFLINE,
                amount_cents=price_cents,
                recorded_by=by,
                note=_("Manual registration"),
                received_at=now,
            )
        Enrolment.objects.create(
            session=session,
            trainee=trainee,
            status=Enrolment.Status.CONFIRMED,
            order_line=line,
            credit_type=line.credit_type,
        )
        # Registered now, so a later waitlist offer for this training would only hold a seat.
        WaitlistEntry.objects.filter(
            trainee=trainee, session__offering=offering, status=WaitlistEntry.Status.WAITING
        ).update(status=WaitlistEntry.Status.LEFT)
        log_action(
            order,
            "registration.order.registered_by_staff",
            actor=by,
            data={
                "session": str(session),
                "price_cents": price_cents,
                "method": order.payment_method,
            },
        )
        email_queue(
            kind="order_confirmation",
            to=trainee.email,
            key=f"order_confirmation:{order.pk}",
            order=order,
        )
    seats_changed()
    return order
