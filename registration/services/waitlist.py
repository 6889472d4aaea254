"""Waitlists: join a full session, and offer freed seats in turn, each offer holding the seat.

"Offer now" (the coordinator's, from the admin) offers free seats in list order, as the
automatic offers do; with no free seat it is refused, so that raising the capacity stays the
only way to add a seat.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Session, SiteSettings, seats_taken_q

from ..models import CartItem, Enrolment, WaitlistEntry
from ..tokens import waitlist_offer_token_read
from .emails import email_queue
from .exceptions import StaffActionRefused, WaitlistError
from .seats import seats_changed, seats_left_locked, sessions_lock


def waitlist_join(*, trainee, session: Session, now: datetime) -> WaitlistEntry:
    """Join the waitlist of a full, upcoming session."""
    if (
        session.status != Session.Status.SCHEDULED
        or not session.starts_at
        or session.starts_at <= now
    ):
        raise WaitlistError(_("This session is not open for registration."))
    if session.capacity - Session.objects.seats_taken(session_id=session.pk, now=now) > 0:
        raise WaitlistError(_("This session still has seats: add it to your cart instead."))
    if Enrolment.objects.filter(
        seats_taken_q(now, prefix=""), trainee=trainee, session__offering_id=session.offering_id
    ).exists():
        raise WaitlistError(_("You are already registered for this training."))
    try:
        with transaction.atomic():
            return WaitlistEntry.objects.create(session=session, trainee=trainee)
    except IntegrityError:
        raise WaitlistError(_("You are already on this waitlist.")) from None


def waitlist_leave(*, entry: WaitlistEntry, now: datetime) -> None:
    """Leave the waitlist; a seat held by an offer goes to the next person."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        if entry.status not in (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED):
            return
        _release_offer(entry, status=WaitlistEntry.Status.LEFT, now=now)
        waitlist_offer_next(session_id=entry.session_id, now=now)
    seats_changed()


def _release_offer(entry: WaitlistEntry, *, status: str, now: datetime) -> None:
    if (
        entry.hold_id
        and entry.hold.status == Enrolment.Status.HELD
        and not entry.hold.order_line_id
    ):
        Enrolment.objects.filter(pk=entry.hold_id).update(
            status=Enrolment.Status.EXPIRED, closed_at=now
        )
    entry.status = status
    entry.save(update_fields=["status"])


def waitlist_offer_next(*, session_id: int, now: datetime) -> list[WaitlistEntry]:
    """Offer every free seat of the session to the next people waiting, each with a held seat."""
    offered = []
    with transaction.atomic():
        sessions = sessions_lock([session_id])
        session = sessions.get(session_id)
        if (
            session is None
            or session.status != Session.Status.SCHEDULED
            or session.starts_at <= now
        ):
            return offered
        free = seats_left_locked(sessions, now=now)[session_id]
        if free <= 0:
            return offered
        hours = SiteSettings.current().waitlist_offer_hours
        waiting = list(
            WaitlistEntry.objects.select_for_update(of=("self",))
            .filter(session_id=session_id, status=WaitlistEntry.Status.WAITING)
            .select_related("trainee")
            .order_by("created_at", "pk")[:free]
        )
        for entry in waiting:
            expires = min(now + timedelta(hours=hours), session.starts_at)
            entry.hold = Enrolment.objects.create(
                session=session,
                trainee=entry.trainee,
                status=Enrolment.Status.HELD,
                hold_expires_at=expires,
            )
            entry.status = WaitlistEntry.Status.OFFERED
            entry.offered_at = now
            entry.offer_expires_at = expires
            entry.save(update_fields=["hold", "status", "offered_at", "offer_expires_at"])
            email_queue(
                kind="waitlist_offer",
                to=entry.trainee.email,
                key=f"waitlist_offer:{entry.hold.pk}",
                waitlist_entry=entry,
            )
            offered.append(entry)
    if offered:
        seats_changed()
    return offered


def waitlist_offers_expire(*, now: datetime) -> int:
    """Offers not taken in time pass to the next person."""
    expired = 0
    due = WaitlistEntry.objects.filter(
        status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now
    ).values_list("pk", "session_id")
    for entry_id, session_id in list(due):
        with transaction.atomic():
            entry = (
                WaitlistEntry.objects.select_for_update(of=("self",))
                .select_related("hold")
                .get(pk=entry_id)
            )
            if entry.status != WaitlistEntry.Status.OFFERED:
                continue
            _release_offer(entry, status=WaitlistEntry.Status.EXPIRED, now=now)
            expired += 1
        waitlist_offer_next(session_id=session_id, now=now)
    return expired


def waitlist_accept(*, entry: WaitlistEntry, now: datetime) -> CartItem:
    """Take up an offer: the held seat goes into the cart, ready to pay for."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        if entry.status != WaitlistEntry.Status.OFFERED or entry.offer_expires_at <= now:
            raise WaitlistError(_("This offer has expired or was already used."))
        return _take(entry, now=now)


def _take(entry: WaitlistEntry, *, now: datetime) -> CartItem:
    session = entry.session
    item, _created = CartItem.objects.update_or_create(
        trainee=entry.trainee,
        offering_id=session.offering_id,
        defaults={"session": session},
    )
    if entry.offer_taken_at is None:
        entry.offer_taken_at = now
        entry.save(update_fields=["offer_taken_at"])
    return item


# --------------------------------------------------------------------------------------
# The offer email's "Take the seat" link: signed, for one offer, used once, dead with it
# --------------------------------------------------------------------------------------


def waitlist_offer_by_token(*, token: str, trainee) -> WaitlistEntry:
    """The offer a link names, for the signed-in trainee it was sent to; WaitlistError when
    the link is forged, another's, or for a seat no longer offered."""
    ids = waitlist_offer_token_read(token)
    if ids is None:
        raise WaitlistError(_("This link is not valid. Open it from the email we sent you."))
    entry_id, hold_id = ids
    entry = (
        WaitlistEntry.objects.select_related("session__offering", "hold")
        .filter(pk=entry_id, hold_id=hold_id, trainee=trainee)
        .first()
    )
    if entry is None:
        raise WaitlistError(
            _("This link is for another account: sign in with the address the offer was sent to.")
        )
    return entry


def waitlist_offer_link_problem(*, entry: WaitlistEntry, now: datetime) -> str:
    """Why the offer's link can't take the seat now; "" when it can."""
    if entry.offer_taken_at is not None or entry.status == WaitlistEntry.Status.ACCEPTED:
        return _("This link was used already: the seat is in your cart or your order.")
    if entry.status != WaitlistEntry.Status.OFFERED or entry.offer_expires_at <= now:
        return _("This offer has ended: the seat went to the next person on the waitlist.")
    return ""


def waitlist_take_by_link(*, entry: WaitlistEntry, now: datetime) -> CartItem:
    """The offer's link, used: the seat goes into the cart, once."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        problem = waitlist_offer_link_problem(entry=entry, now=now)
        if problem:
            raise WaitlistError(problem)
        return _take(entry, now=now)


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
