"""The cart: sessions a trainee intends to register for, one per offering, with CE choices."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Bundle, CreditType, Session

from ..models import CartItem
from ..rules import (
    SessionSpan,
    bundle_date_problems,
    bundle_impossible_dates,
    ce_options,
    session_refusals,
)
from ..selectors import (
    credit_type_facts,
    held_offers,
    item_facts,
    trainee_facts,
)


class CartError(Exception):
    pass


class BundleDatesRefused(CartError):
    """Some chosen dates come before the date chosen for their prerequisite; `problems` says
    why, by offering id."""

    def __init__(self, problems: dict[int, str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems.values()))


def _span(session: Session) -> SessionSpan:
    return SessionSpan(
        offering_id=session.offering_id,
        session_id=session.pk,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )


def _prerequisites(bundle: Bundle) -> tuple[dict[int, frozenset[int]], dict[int, str]]:
    """The prerequisites of the bundle's offerings that are in the bundle, and their labels."""
    offerings = list(bundle.offerings.all())
    inside = {o.pk for o in offerings}
    prerequisites = {
        o.pk: frozenset(p.pk for p in o.prerequisites.all() if p.pk in inside) for o in offerings
    }
    return prerequisites, {o.pk: str(o.label) for o in offerings}


def bundle_date_notes(*, trainee, bundle: Bundle, now: datetime) -> dict[int, str]:
    """Session id → why that date of the bundle can never be chosen (it starts before every
    date of a prerequisite), for the chooser to mark it."""
    prerequisites, labels = _prerequisites(bundle)
    return bundle_impossible_dates(
        sessions=[
            _span(s)
            for o in bundle.offerings.all()
            for s in o.upcoming_sessions
            if s.starts_at and s.ends_at
        ],
        prerequisites=prerequisites,
        labels=labels,
        trainee=trainee_facts(trainee=trainee, now=now),
    )


def cart_add(*, trainee, session: Session, now: datetime) -> CartItem:
    """Add a session, replacing another date of the same offering if there was one (a date
    changed within a bundle stays in the bundle).

    A session nobody can take now (full, started, cancelled, closed) is refused with the
    reason; what depends on the rest of the cart (prerequisites, clashes) is shown in the cart.
    """
    if not session.offering.is_published or session.status == Session.Status.TBA:
        raise CartError(_("This session cannot be registered for."))
    refusals = session_refusals(
        item=item_facts(
            session=session,
            seats_taken=Session.objects.seats_taken(session_id=session.pk, now=now),
            credit_type=None,
            ce_notice_acknowledged=False,
            holds_seat=session.pk in held_offers(trainee=trainee, now=now),
            module_offering_ids={},
        ),
        now=now,
    )
    if refusals:
        raise CartError(refusals[0].message)
    item, _created = CartItem.objects.update_or_create(
        trainee=trainee,
        offering=session.offering,
        defaults={"session": session},
    )
    return item


def cart_remove(*, trainee, item_id: int) -> bool:
    """Remove one item. Removing a session of a bundle prices the others one by one again,
    since the bundle needs them all; returns True when that happened."""
    with transaction.atomic():
        item = CartItem.objects.filter(trainee=trainee, pk=item_id).first()
        if item is None:
            return False
        item.delete()
        if item.bundle_id is None:
            return False
        cart_drop_bundle(trainee=trainee)
        return True


def cart_set_ce(
    *,
    trainee,
    item_id: int,
    credit_type: CreditType | None,
    notice_acknowledged: bool,
    now: datetime,
) -> CartItem:
    """Choose the CE add-on of one item; a credit type the trainee's license cannot use is
    refused and nothing changes. The rules check the cart again when the order is placed."""
    item = CartItem.objects.select_related("offering").get(trainee=trainee, pk=item_id)
    if (
        credit_type is not None
        and not item.offering.credits.filter(credit_type=credit_type).exists()
    ):
        raise CartError(
            _("%(offering)s carries no %(credit)s.")
            % {"offering": item.offering.label, "credit": credit_type.name}
        )
    if credit_type is not None:
        (option,) = ce_options(
            trainee=trainee_facts(trainee=trainee, now=now),
            credit_types=[credit_type_facts(credit_type)],
        )
        if not option.allowed:
            raise CartError(option.reason)
    item.credit_type = credit_type
    item.ce_notice_acknowledged = bool(credit_type and notice_acknowledged)
    item.save(update_fields=["credit_type", "ce_notice_acknowledged"])
    return item


def cart_set_ce_everywhere(
    *, trainee, credit_type: CreditType, notice_acknowledged: bool, now: datetime
) -> int:
    """Choose one CE credit type for every item of the cart that carries it (a full
    training's modules in one step); refused, with nothing changed, when the trainee's
    license cannot use it. How many items carry it now."""
    (option,) = ce_options(
        trainee=trainee_facts(trainee=trainee, now=now),
        credit_types=[credit_type_facts(credit_type)],
    )
    if not option.allowed:
        raise CartError(option.reason)
    return CartItem.objects.filter(
        trainee=trainee, offering__credits__credit_type=credit_type
    ).update(credit_type=credit_type, ce_notice_acknowledged=notice_acknowledged)


def cart_choose_bundle(
    *, trainee, bundle: Bundle, sessions: list[Session], now: datetime
) -> list[CartItem]:
    """Put a bundle in the cart: one chosen session per offering of the bundle.

    Every bundle offering must have exactly one session of its own, each after the date chosen
    for its prerequisites; otherwise nothing changes.
    """
    offerings = {o.pk: o for o in bundle.offerings.all()}
    chosen = {}
    for session in sessions:
        if session.offering_id not in offerings:
            raise CartError(
                _("%(session)s is not part of %(bundle)s.")
                % {"session": session, "bundle": bundle.title}
            )
        if session.offering_id in chosen:
            raise CartError(
                _("Choose one date only for %(offering)s.")
                % {"offering": offerings[session.offering_id].label}
            )
        chosen[session.offering_id] = session
    missing = [o.label for pk, o in sorted(offerings.items()) if pk not in chosen]
    if missing:
        raise CartError(
            _("Choose a date for %(modules)s.") % {"modules": ", ".join(str(m) for m in missing)}
        )
    prerequisites, labels = _prerequisites(bundle)
    problems = bundle_date_problems(
        chosen=[_span(s) for s in chosen.values() if s.starts_at and s.ends_at],
        prerequisites=prerequisites,
        labels=labels,
        trainee=trainee_facts(trainee=trainee, now=now),
    )
    if problems:
        raise BundleDatesRefused(problems)
    with transaction.atomic():
        items = []
        for offering_id, session in chosen.items():
            item, _created = CartItem.objects.update_or_create(
                trainee=trainee,
                offering_id=offering_id,
                defaults={"session": session, "bundle": bundle},
            )
            items.append(item)
        return items


def cart_drop_bundle(*, trainee) -> None:
    """Keep the sessions, priced one by one again."""
    CartItem.objects.filter(trainee=trainee, bundle__isnull=False).update(bundle=None)
