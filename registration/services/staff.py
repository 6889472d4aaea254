"""Operations only staff perform from the admin: cancel a whole order, refund by hand, register
a trainee by hand, waive a prerequisite, and offer waitlisted seats now.

Decisions:
- Cancelling a paid order cancels its upcoming confirmed registrations and frees their seats,
  but refunds nothing: the right amount depends on why (the trainee's request within the
  policy, the center's cancellation, a goodwill gesture), so the coordinator refunds as a
  separate, deliberate step on the order's Refund page.
- A manual registration skips the trainee-facing eligibility rules (prerequisites, intake,
  registration window): the coordinator decides. It still needs a free seat in an open
  session, no other registration for the same training, and CE the trainee's license allows.
- "Offer now" offers free seats in list order, as the automatic offers do; with no free seat
  it is refused, so that raising the capacity stays the only way to add a seat.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import log_action
from catalog.formatting import format_cents
from catalog.models import CreditType, Offering, Session

from ..models import (
    Enrolment,
    Order,
    OrderLine,
    Payment,
    PrerequisiteWaiver,
    Refund,
    WaitlistEntry,
)
from ..rules import ce_options
from ..selectors import credit_type_facts, profile_of, seats_taken_q, trainee_facts
from .emails import email_queue
from .orders import order_cancel
from .payments import refund_issue
from .seats import seats_changed, seats_left_locked, sessions_lock
from .waitlist import waitlist_offer_next


class StaffActionRefused(Exception):
    """The operation would break a rule or the data changed meanwhile; nothing was changed."""


@dataclass(frozen=True)
class OrderCancellation:
    order: Order
    seats_freed: int
    # Registrations in sessions that had already started: kept, since attendance and
    # certificates depend on them.
    kept_started: int
    # What the Refund page offers by default now (nothing is refunded by the cancellation).
    refund_default_cents: int


def _trainee_name(trainee) -> str:
    profile = profile_of(trainee)
    return profile.legal_name if profile and profile.legal_name else trainee.email


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
    name = _trainee_name(trainee)
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


def waiver_grant(*, trainee, offering: Offering, reason: str, by) -> PrerequisiteWaiver:
    """Let a trainee register without having taken `offering` (e.g. Module 1)."""
    reason = reason.strip()
    if not reason:
        raise StaffActionRefused(_("Give the reason for the waiver."))
    try:
        with transaction.atomic():
            return PrerequisiteWaiver.objects.create(
                trainee=trainee, offering=offering, reason=reason, granted_by=by
            )
    except IntegrityError:
        raise StaffActionRefused(
            _("%(name)s already has a waiver for %(offering)s.")
            % {"name": _trainee_name(trainee), "offering": offering.label}
        ) from None


def waitlist_offer_now(*, session: Session, now: datetime) -> list[WaitlistEntry]:
    """Offer the session's free seats to the next people waiting, now."""
    with transaction.atomic():
        sessions = sessions_lock([session.pk])
        session = sessions[session.pk]
        if (
            session.status != Session.Status.SCHEDULED
            or not session.starts_at
            or session.starts_at <= now
        ):
            raise StaffActionRefused(
                _("%(session)s is not open for registration.") % {"session": session}
            )
        if not WaitlistEntry.objects.filter(
            session=session, status=WaitlistEntry.Status.WAITING
        ).exists():
            raise StaffActionRefused(_("Nobody is waiting for %(session)s.") % {"session": session})
        free = seats_left_locked(sessions, now=now)[session.pk]
        if free <= 0:
            raise StaffActionRefused(
                _("No seat is free in this session (%(session)s): raise its capacity first.")
                % {"session": session}
            )
        return waitlist_offer_next(session_id=session.pk, now=now)


def enrolment_move_by_staff(
    *, enrolment: Enrolment, to_session: Session, by, now: datetime
) -> Enrolment:
    """Move a confirmed registration to another date of the same offering, as the trainee
    could, with the capacity checked under the lock and refusals worded for the coordinator."""
    from .enrolments import EnrolmentError, enrolment_transfer

    with transaction.atomic():
        current = Enrolment.objects.select_related("session").get(pk=enrolment.pk)
        if (
            to_session.offering_id == current.session.offering_id
            and to_session.pk != current.session_id
        ):
            sessions = sessions_lock([current.session_id, to_session.pk])
            target = sessions[to_session.pk]
            if seats_left_locked({target.pk: target}, now=now)[target.pk] <= 0:
                raise StaffActionRefused(
                    _(
                        "%(session)s is full: no seat is free. Raise its capacity first, or "
                        "choose another date."
                    )
                    % {"session": target}
                )
        try:
            return enrolment_transfer(enrolment=current, to_session=to_session, by=by, now=now)
        except EnrolmentError as error:
            raise StaffActionRefused(str(error)) from error
