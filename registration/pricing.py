"""What a cart costs and what a cancellation refunds: pure functions over plain data.

Integer cents throughout. No database, no request, no clock: the caller passes the catalog's
prices and, for refunds, the current time.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from catalog.formatting import format_cents, format_session_date


@dataclass(frozen=True)
class ItemPrice:
    """One session the trainee wants, with the catalog's prices."""

    session_id: int
    offering_id: int
    tuition_cents: int
    admin_fee_cents: int
    ce_fee_cents: int = 0
    ce_credit_type: str | None = None


@dataclass(frozen=True)
class BundlePrice:
    bundle_id: int
    tuition_cents: int
    admin_fee_cents: int
    offering_ids: frozenset[int]

    @property
    def total_cents(self) -> int:
        return self.tuition_cents + self.admin_fee_cents


@dataclass(frozen=True)
class PricedItem:
    """What an order line snapshots for one enrolment.

    For an item covered by a bundle, tuition and administrative fee are its share of the
    bundle's amounts.
    """

    session_id: int
    offering_id: int
    tuition_cents: int
    admin_fee_cents: int
    ce_fee_cents: int
    ce_credit_type: str | None
    bundle_id: int | None

    @property
    def total_cents(self) -> int:
        return self.tuition_cents + self.admin_fee_cents + self.ce_fee_cents


@dataclass(frozen=True)
class Quote:
    items: tuple[PricedItem, ...]
    bundle: BundlePrice | None
    tuition_cents: int
    admin_fee_cents: int
    ce_cents: int
    total_cents: int
    # Shown side by side so the trainee sees both totals, whichever is lower.
    bundle_total_cents: int | None
    a_la_carte_cents: int | None


def quote(*, items: Sequence[ItemPrice], bundle: BundlePrice | None = None) -> Quote:
    """Price the items, those of the bundle's offerings sharing the bundle's price.

    Raises ValueError on a negative amount, or when a bundle is given and the items do not hold
    exactly one item per bundle offering (the eligibility rules explain that to the trainee).
    """
    for item in items:
        _refuse_negative(item.tuition_cents, item.admin_fee_cents, item.ce_fee_cents)
    covered: list[int] = []
    if bundle is not None:
        _refuse_negative(bundle.tuition_cents, bundle.admin_fee_cents)
        if not bundle.offering_ids:
            raise ValueError("a bundle must cover at least one offering")
        covered = [i for i, item in enumerate(items) if item.offering_id in bundle.offering_ids]
        covered_offerings = [items[i].offering_id for i in covered]
        if len(covered_offerings) != len(bundle.offering_ids) or (
            set(covered_offerings) != bundle.offering_ids
        ):
            raise ValueError("the items must hold exactly one session per bundle offering")

    shares: dict[int, tuple[int, int]] = {}
    if bundle is not None:
        weights = [items[i].tuition_cents for i in covered]
        if not any(weights):
            weights = [1] * len(covered)
        tuition_shares = _allocate(bundle.tuition_cents, weights)
        fee_shares = _allocate(bundle.admin_fee_cents, weights)
        shares = {i: (t, f) for i, t, f in zip(covered, tuition_shares, fee_shares, strict=True)}

    priced = []
    for i, item in enumerate(items):
        tuition, fee = shares.get(i, (item.tuition_cents, item.admin_fee_cents))
        priced.append(
            PricedItem(
                session_id=item.session_id,
                offering_id=item.offering_id,
                tuition_cents=tuition,
                admin_fee_cents=fee,
                ce_fee_cents=item.ce_fee_cents,
                ce_credit_type=item.ce_credit_type,
                bundle_id=bundle.bundle_id if i in shares and bundle is not None else None,
            )
        )

    tuition_cents = sum(p.tuition_cents for p in priced)
    admin_fee_cents = sum(p.admin_fee_cents for p in priced)
    ce_cents = sum(p.ce_fee_cents for p in priced)
    return Quote(
        items=tuple(priced),
        bundle=bundle,
        tuition_cents=tuition_cents,
        admin_fee_cents=admin_fee_cents,
        ce_cents=ce_cents,
        total_cents=tuition_cents + admin_fee_cents + ce_cents,
        bundle_total_cents=bundle.total_cents if bundle is not None else None,
        a_la_carte_cents=(
            sum(items[i].tuition_cents + items[i].admin_fee_cents for i in covered)
            if bundle is not None
            else None
        ),
    )


def _refuse_negative(*amounts: int) -> None:
    if any(amount < 0 for amount in amounts):
        raise ValueError("amounts must not be negative")


def _allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` pro rata to `weights` in whole cents, the shares adding up exactly.

    Largest remainder: everyone gets the floor of their exact share, and the cents left over
    go one each to the largest fractional parts (earlier items first on a tie), so no item is
    off by more than a cent from its exact share.
    """
    total = sum(weights)
    floors = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return floors


@dataclass(frozen=True)
class RefundQuote:
    allowed: bool
    amount_cents: int
    reason: str


def cancellation_refund(
    *,
    paid: PricedItem,
    refunded_cents: int,
    session_starts_at: datetime,
    now: datetime,
    deadline_days: int,
    session_cancelled_by_center: bool = False,
) -> RefundQuote:
    """What cancelling one paid enrolment refunds, under the center's cancellation policy.

    The trainee may cancel until `deadline_days` before the session starts and gets back the
    tuition and CE fee; the administrative fee is kept. When the center cancels the session,
    everything paid is refunded, at any time. What was already refunded is deducted.
    """
    _refuse_negative(
        paid.tuition_cents, paid.admin_fee_cents, paid.ce_fee_cents, refunded_cents, deadline_days
    )
    if session_starts_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("datetimes must be aware")

    if session_cancelled_by_center:
        amount = max(paid.total_cents - refunded_cents, 0)
        if amount == 0:
            return RefundQuote(
                allowed=True,
                amount_cents=0,
                reason=_("Everything you paid for this session has already been refunded."),
            )
        return RefundQuote(
            allowed=True,
            amount_cents=amount,
            reason=_with_already_refunded(
                _(
                    "The center cancelled this session: everything you paid, including the "
                    "administrative fee, is refunded."
                ),
                refunded_cents,
            ),
        )

    deadline = session_starts_at - timedelta(days=deadline_days)
    if now > deadline:
        return RefundQuote(
            allowed=False,
            amount_cents=0,
            reason=_(
                "The cancellation deadline has passed: cancellations close %(days)s days before "
                "the session starts (%(date)s)."
            )
            % {"days": deadline_days, "date": format_session_date(deadline)},
        )

    amount = max(paid.tuition_cents + paid.ce_fee_cents - refunded_cents, 0)
    if amount == 0:
        return RefundQuote(
            allowed=True,
            amount_cents=0,
            reason=_(
                "Nothing more is refundable: the refundable part of what you paid has already "
                "been refunded, and the administrative fee is not refundable."
            ),
        )
    if paid.ce_fee_cents:
        reason = _("Tuition and CE fee refunded; the administrative fee is not refundable.")
    else:
        reason = _("Tuition refunded; the administrative fee is not refundable.")
    return RefundQuote(
        allowed=True, amount_cents=amount, reason=_with_already_refunded(reason, refunded_cents)
    )


def _with_already_refunded(reason: str, refunded_cents: int) -> str:
    if not refunded_cents:
        return reason
    return _("%(reason)s %(amount)s already refunded is deducted.") % {
        "reason": reason,
        "amount": format_cents(refunded_cents),
    }
