"""A trainee's own changes to a paid enrolment: cancel within the policy, or transfer to another
date of the same offering."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import log_action
from catalog.models import Session, SiteSettings
from catalog.selectors import upcoming_sessions_q

from ..models import Enrolment
from ..pricing import PricedItem, RefundQuote, cancellation_refund
from .emails import email_queue
from .exceptions import EnrolmentError, SessionFull, StaffActionRefused
from .payments import refund_issue
from .seats import seats_changed, seats_left_locked, sessions_lock
from .waitlist import waitlist_offer_next


def _priced(enrolment: Enrolment) -> PricedItem:
    line = enrolment.order_line
    return PricedItem(
        session_id=enrolment.session_id,
        offering_id=line.offering_id,
        tuition_cents=line.tuition_cents,
        admin_fee_cents=line.admin_fee_cents,
        ce_fee_cents=line.ce_fee_cents,
        ce_credit_type=line.credit_type.code if line.credit_type_id else None,
        bundle_id=line.bundle_id,
    )


def enrolment_refund_quote(*, enrolment: Enrolment, now: datetime) -> RefundQuote:
    """What cancelling this enrolment now would refund, by the center's policy."""
    if enrolment.order_line_id is None:
        return RefundQuote(allowed=True, amount_cents=0, reason=_("Nothing was paid."))
    return cancellation_refund(
        paid=_priced(enrolment),
        refunded_cents=enrolment.order_line.refunded_cents,
        session_starts_at=enrolment.session.starts_at,
        now=now,
        deadline_days=SiteSettings.current().refund_deadline_days,
        session_cancelled_by_center=enrolment.session.status == Session.Status.CANCELLED,
    )


def cancellation_closes_at(*, session: Session) -> datetime | None:
    """When trainees can no longer cancel a registration for this session themselves."""
    if session.starts_at is None:
        return None
    return session.starts_at - timedelta(days=SiteSettings.current().refund_deadline_days)


def enrolments_mark_cancellation(*, enrolments: Iterable[Enrolment], now: datetime) -> None:
    """Sets `cancellation_closes_at` and `can_cancel` (by the trainee, now) on each, for the
    pages that list them."""
    for enrolment in enrolments:
        closes_at = cancellation_closes_at(session=enrolment.session)
        enrolment.cancellation_closes_at = closes_at
        enrolment.can_cancel = closes_at is not None and now <= closes_at


def enrolment_cancel(*, enrolment: Enrolment, by, now: datetime, staff: bool = False) -> int:
    """Cancel a confirmed enrolment and refund what the policy allows; returns cents refunded.

    The record is kept (CE rules: four years); the seat goes to the waitlist.
    """
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("session__offering", "order_line__order", "order_line__credit_type")
            .get(pk=enrolment.pk)
        )
        if enrolment.status != Enrolment.Status.CONFIRMED:
            raise EnrolmentError(_("Only a confirmed registration can be cancelled."))
        if enrolment.session.starts_at and enrolment.session.starts_at <= now:
            raise EnrolmentError(_("This session has already started."))
        refund = enrolment_refund_quote(enrolment=enrolment, now=now)
        if not refund.allowed and not staff:
            raise EnrolmentError(refund.reason)
        enrolment.status = Enrolment.Status.CANCELLED
        enrolment.closed_at = now
        enrolment.save(update_fields=["status", "closed_at"])
        refunded = 0
        if refund.allowed and refund.amount_cents > 0:
            refund_issue(
                order=enrolment.order_line.order,
                order_line=enrolment.order_line,
                amount_cents=refund.amount_cents,
                reason=_("Cancelled %(session)s") % {"session": enrolment.session},
                by=by,
                idempotency_key=f"cancel-enrolment-{enrolment.pk}",
                notice=None,  # the cancellation email says what was refunded
            )
            refunded = refund.amount_cents
        if enrolment.order_line_id:
            log_action(
                enrolment.order_line.order,
                "registration.enrolment.cancelled",
                actor=by,
                data={"session": str(enrolment.session), "refunded_cents": refunded},
            )
        email_queue(
            kind="enrolment_cancelled",
            to=enrolment.trainee.email,
            key=f"enrolment_cancelled:{enrolment.pk}",
            enrolment=enrolment,
        )
        waitlist_offer_next(session_id=enrolment.session_id, now=now)
    seats_changed()
    return refunded


def transfer_targets(*, enrolment: Enrolment, now: datetime) -> list[Session]:
    """Other upcoming dates of the same offering."""
    return list(
        Session.objects.filter(upcoming_sessions_q(now), offering_id=enrolment.session.offering_id)
        .exclude(pk=enrolment.session_id)
        .with_seats_taken(now)
        .order_by("starts_at")
    )


def enrolment_transfer(
    *, enrolment: Enrolment, to_session: Session, by, now: datetime
) -> Enrolment:
    """Transfer a confirmed enrolment to another session of the same offering, if a seat is free."""
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("session__offering", "order_line__order")
            .get(pk=enrolment.pk)
        )
        if enrolment.status != Enrolment.Status.CONFIRMED:
            raise EnrolmentError(_("Only a confirmed registration can be transferred."))
        if enrolment.session.starts_at and enrolment.session.starts_at <= now:
            raise EnrolmentError(
                _(
                    "This session has already started, so the registration can no longer be transferred."
                )
            )
        if to_session.offering_id != enrolment.session.offering_id:
            raise EnrolmentError(
                _("A registration can only be transferred to another date of the same training.")
            )
        if to_session.pk == enrolment.session_id:
            raise EnrolmentError(_("You are already registered for that date."))
        sessions = sessions_lock([enrolment.session_id, to_session.pk])
        target = sessions[to_session.pk]
        if (
            target.status != Session.Status.SCHEDULED
            or not target.starts_at
            or target.starts_at <= now
        ):
            raise EnrolmentError(_("That date is not open for registration."))
        if seats_left_locked({target.pk: target}, now=now)[target.pk] <= 0:
            raise SessionFull(
                _("That date is full. You can join its waitlist instead."), session=target
            )
        transferred = Enrolment.objects.create(
            session=target,
            trainee=enrolment.trainee,
            status=Enrolment.Status.CONFIRMED,
            order_line=enrolment.order_line,
            credit_type=enrolment.credit_type,
        )
        enrolment.status = Enrolment.Status.TRANSFERRED
        enrolment.transferred_to = transferred
        enrolment.closed_at = now
        enrolment.save(update_fields=["status", "transferred_to", "closed_at"])
        if enrolment.order_line_id:
            log_action(
                enrolment.order_line.order,
                "registration.enrolment.transferred",
                actor=by,
                data={"old": str(enrolment.session.when), "new": str(target.when)},
            )
        email_queue(
            kind="enrolment_transferred",
            to=enrolment.trainee.email,
            key=f"enrolment_transferred:{transferred.pk}",
            enrolment=transferred,
        )
        waitlist_offer_next(session_id=enrolment.session_id, now=now)
    seats_changed()
    return transferred


def enrolment_transfer_by_staff(
    *, enrolment: Enrolment, to_session: Session, by, now: datetime
) -> Enrolment:
    """Transfer a confirmed registration to another date of the same offering, as the trainee
    could (the same locks, in the same order), with refusals worded for the coordinator."""
    try:
        return enrolment_transfer(enrolment=enrolment, to_session=to_session, by=by, now=now)
    except SessionFull as full:
        raise StaffActionRefused(
            _(
                "%(session)s is full: no seat is free. Raise its capacity first, or "
                "choose another date."
            )
            % {"session": full.session}
        ) from full
    except EnrolmentError as error:
        raise StaffActionRefused(str(error)) from error
