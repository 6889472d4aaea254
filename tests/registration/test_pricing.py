"""What a cart costs and what a cancellation refunds, checked on the seed's numbers and by properties."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from registration.pricing import (
    BundlePrice,
    ItemPrice,
    PricedItem,
    cancellation_refund,
    quote,
)

PT = ZoneInfo("America/Los_Angeles")

cents = st.integers(min_value=0, max_value=2_000_000)


@st.composite
def item_prices(draw, *, offering_ids: list[int]) -> list[ItemPrice]:
    items = []
    for position, offering_id in enumerate(offering_ids):
        ce_credit_type = draw(st.sampled_from([None, "apa", "brn"]))
        items.append(
            ItemPrice(
                session_id=1000 + position,
                offering_id=offering_id,
                tuition_cents=draw(cents),
                admin_fee_cents=draw(cents),
                ce_fee_cents=draw(cents) if ce_credit_type else 0,
                ce_credit_type=ce_credit_type,
            )
        )
    return items


@st.composite
def carts(draw, *, bundled: bool | None = None) -> tuple[list[ItemPrice], BundlePrice | None]:
    """Items of distinct offerings and, unless `bundled` is False, maybe a bundle of some."""
    size = draw(st.integers(min_value=1 if bundled else 0, max_value=9))
    offering_ids = draw(
        st.lists(st.integers(min_value=1, max_value=60), min_size=size, max_size=size, unique=True)
    )
    items = draw(item_prices(offering_ids=offering_ids))
    with_bundle = bundled if bundled is not None else (bool(items) and draw(st.booleans()))
    if not with_bundle:
        return items, None
    covered = draw(st.lists(st.sampled_from(offering_ids), min_size=1, unique=True))
    bundle = BundlePrice(
        bundle_id=7,
        tuition_cents=draw(cents),
        admin_fee_cents=draw(cents),
        offering_ids=frozenset(covered),
    )
    return draw(st.permutations(items)), bundle


# --- the seed's numbers -------------------------------------------------------------------------

MODULE_PRICES = {n: (27500 if n == 5 else 32500, 2500) for n in range(1, 8)}
FULL_TRAINING = BundlePrice(
    bundle_id=1, tuition_cents=240000, admin_fee_cents=15000, offering_ids=frozenset(range(1, 8))
)


def seven_modules(*, ce_fee_cents: int = 0) -> list[ItemPrice]:
    return [
        ItemPrice(
            session_id=100 + n,
            offering_id=n,
            tuition_cents=tuition,
            admin_fee_cents=fee,
            ce_fee_cents=ce_fee_cents,
            ce_credit_type="apa" if ce_fee_cents else None,
        )
        for n, (tuition, fee) in MODULE_PRICES.items()
    ]


def test_seed_modules_a_la_carte_cost_less_than_the_full_training():
    result = quote(items=seven_modules(), bundle=FULL_TRAINING)

    assert result.a_la_carte_cents == 6 * (32500 + 2500) + (27500 + 2500) == 240000
    assert result.bundle_total_cents == 255000
    assert result.total_cents == 255000
    assert (result.tuition_cents, result.admin_fee_cents, result.ce_cents) == (240000, 15000, 0)


def test_seed_full_training_shares_follow_catalog_tuition():
    result = quote(items=seven_modules(), bundle=FULL_TRAINING)

    shares = {item.offering_id: (item.tuition_cents, item.admin_fee_cents) for item in result.items}
    # 240000 × 32500 / 222500 and 240000 × 27500 / 222500, in whole cents adding up.
    assert all(shares[n][0] in (35056, 35057) for n in (1, 2, 3, 4, 6, 7))
    assert shares[5][0] in (29662, 29663)
    assert sum(t for t, _ in shares.values()) == 240000
    assert sum(f for _, f in shares.values()) == 15000
    assert all(item.bundle_id == 1 for item in result.items)


def test_seed_full_training_with_apa_ce_on_every_module():
    result = quote(items=seven_modules(ce_fee_cents=7900), bundle=FULL_TRAINING)

    assert result.ce_cents == 7 * 7900
    assert result.total_cents == 255000 + 55300
    assert result.a_la_carte_cents == 240000


def test_music_module_beside_the_bundle_pays_its_own_price():
    music = ItemPrice(session_id=200, offering_id=30, tuition_cents=20000, admin_fee_cents=0)
    result = quote(items=[*seven_modules(), music], bundle=FULL_TRAINING)

    priced_music = result.items[-1]
    assert (priced_music.tuition_cents, priced_music.admin_fee_cents) == (20000, 0)
    assert priced_music.bundle_id is None
    assert result.total_cents == 255000 + 20000
    assert result.a_la_carte_cents == 240000


def test_single_module_without_bundle():
    result = quote(items=seven_modules()[:1])

    assert result.total_cents == 35000
    assert result.bundle is None
    assert result.bundle_total_cents is None
    assert result.a_la_carte_cents is None


def test_empty_cart_costs_nothing():
    result = quote(items=[])

    assert result.items == ()
    assert result.total_cents == 0


def test_bundle_missing_a_module_is_refused():
    with pytest.raises(ValueError):
        quote(items=seven_modules()[:-1], bundle=FULL_TRAINING)


def test_bundle_with_two_sessions_of_one_module_is_refused():
    modules = seven_modules()
    with pytest.raises(ValueError):
        quote(items=[*modules, replace(modules[0], session_id=999)], bundle=FULL_TRAINING)


def test_bundle_without_offerings_is_refused():
    with pytest.raises(ValueError):
        quote(items=seven_modules(), bundle=replace(FULL_TRAINING, offering_ids=frozenset()))


@pytest.mark.parametrize("field", ["tuition_cents", "admin_fee_cents", "ce_fee_cents"])
def test_negative_item_amount_is_refused(field):
    item = replace(seven_modules()[0], **{field: -1})
    with pytest.raises(ValueError):
        quote(items=[item])


@pytest.mark.parametrize("field", ["tuition_cents", "admin_fee_cents"])
def test_negative_bundle_amount_is_refused(field):
    with pytest.raises(ValueError):
        quote(items=seven_modules(), bundle=replace(FULL_TRAINING, **{field: -1}))


def test_free_offerings_share_a_bundle_evenly():
    items = [
        ItemPrice(session_id=n, offering_id=n, tuition_cents=0, admin_fee_cents=0)
        for n in range(1, 4)
    ]
    bundle = BundlePrice(
        bundle_id=2, tuition_cents=1000, admin_fee_cents=100, offering_ids=frozenset({1, 2, 3})
    )
    result = quote(items=items, bundle=bundle)

    assert sorted(item.tuition_cents for item in result.items) == [333, 333, 334]
    assert sorted(item.admin_fee_cents for item in result.items) == [33, 33, 34]


# --- properties ---------------------------------------------------------------------------------


@given(carts())
def test_total_is_the_sum_of_item_totals_and_of_its_parts(cart):
    items, bundle = cart
    result = quote(items=items, bundle=bundle)

    assert result.total_cents == sum(item.total_cents for item in result.items)
    assert result.total_cents == result.tuition_cents + result.admin_fee_cents + result.ce_cents
    assert result.tuition_cents == sum(item.tuition_cents for item in result.items)
    assert result.admin_fee_cents == sum(item.admin_fee_cents for item in result.items)


@given(carts())
def test_nothing_is_ever_negative(cart):
    items, bundle = cart
    result = quote(items=items, bundle=bundle)

    amounts = [result.tuition_cents, result.admin_fee_cents, result.ce_cents, result.total_cents]
    for item in result.items:
        amounts += [item.tuition_cents, item.admin_fee_cents, item.ce_fee_cents, item.total_cents]
    assert all(amount >= 0 for amount in amounts)


@given(carts())
def test_items_come_back_in_order_one_each(cart):
    items, bundle = cart
    result = quote(items=items, bundle=bundle)

    assert [(p.session_id, p.offering_id) for p in result.items] == [
        (i.session_id, i.offering_id) for i in items
    ]


@given(carts(bundled=True))
def test_bundle_shares_add_up_exactly_to_the_bundle_price(cart):
    items, bundle = cart
    result = quote(items=items, bundle=bundle)

    covered = [item for item in result.items if item.bundle_id == bundle.bundle_id]
    assert {item.offering_id for item in covered} == bundle.offering_ids
    assert sum(item.tuition_cents for item in covered) == bundle.tuition_cents
    assert sum(item.admin_fee_cents for item in covered) == bundle.admin_fee_cents
    assert result.bundle_total_cents == bundle.tuition_cents + bundle.admin_fee_cents


@given(carts(bundled=True))
def test_bundle_shares_are_pro_rata_to_catalog_tuition_within_a_cent(cart):
    items, bundle = cart
    result = quote(items=items, bundle=bundle)

    pairs = [(i, p) for i, p in zip(items, result.items, strict=True) if p.bundle_id is not None]
    weights = [i.tuition_cents for i, _ in pairs]
    if not any(weights):
        weights = [1] * len(pairs)
    total_weight = sum(weights)
    for weight, (_, priced) in zip(weights, pairs, strict=True):
        exact_tuition = bundle.tuition_cents * weight / total_weight
        exact_fee = bundle.admin_fee_cents * weight / total_weight
        assert abs(priced.tuition_cents - exact_tuition) < 1
        assert abs(priced.admin_fee_cents - exact_fee) < 1


@given(carts())
def test_items_outside_a_bundle_keep_catalog_prices(cart):
    items, bundle = cart
    result = quote(items=items, bundle=bundle)

    for item, priced in zip(items, result.items, strict=True):
        if bundle is None or item.offering_id not in bundle.offering_ids:
            assert priced.bundle_id is None
            assert priced.tuition_cents == item.tuition_cents
            assert priced.admin_fee_cents == item.admin_fee_cents
            assert priced.total_cents == (
                item.tuition_cents + item.admin_fee_cents + item.ce_fee_cents
            )


@given(carts())
def test_ce_is_charged_only_when_chosen_and_as_chosen(cart):
    items, bundle = cart
    result = quote(items=items, bundle=bundle)

    for item, priced in zip(items, result.items, strict=True):
        assert priced.ce_credit_type == item.ce_credit_type
        assert priced.ce_fee_cents == item.ce_fee_cents
        if item.ce_credit_type is None:
            assert priced.ce_fee_cents == 0
    assert result.ce_cents == sum(item.ce_fee_cents for item in items if item.ce_credit_type)


@given(carts())
def test_a_la_carte_is_the_catalog_price_of_the_bundle_items(cart):
    items, bundle = cart
    result = quote(items=items, bundle=bundle)

    if bundle is None:
        assert result.a_la_carte_cents is None
        assert result.bundle_total_cents is None
    else:
        assert result.a_la_carte_cents == sum(
            item.tuition_cents + item.admin_fee_cents
            for item in items
            if item.offering_id in bundle.offering_ids
        )


@given(carts(bundled=True), st.data())
def test_a_bundle_missing_one_of_its_offerings_raises(cart, data):
    items, bundle = cart
    dropped = data.draw(st.sampled_from(sorted(bundle.offering_ids)))
    with pytest.raises(ValueError):
        quote(items=[i for i in items if i.offering_id != dropped], bundle=bundle)


@given(carts(bundled=True), st.data())
def test_a_bundle_with_a_second_session_of_one_offering_raises(cart, data):
    items, bundle = cart
    twice = data.draw(st.sampled_from([i for i in items if i.offering_id in bundle.offering_ids]))
    with pytest.raises(ValueError):
        quote(items=[*items, replace(twice, session_id=twice.session_id + 5000)], bundle=bundle)


# --- cancellation refunds -----------------------------------------------------------------------

STARTS_AT = datetime(2027, 6, 21, 9, 0, tzinfo=PT)
PAID_MODULE = PricedItem(
    session_id=1,
    offering_id=1,
    tuition_cents=32500,
    admin_fee_cents=2500,
    ce_fee_cents=7900,
    ce_credit_type="apa",
    bundle_id=None,
)


def refund(**changes):
    arguments = {
        "paid": PAID_MODULE,
        "refunded_cents": 0,
        "session_starts_at": STARTS_AT,
        "now": STARTS_AT - timedelta(days=30),
        "deadline_days": 14,
    } | changes
    return cancellation_refund(**arguments)


def test_trainee_cancelling_in_time_gets_tuition_and_ce_back_but_not_the_admin_fee():
    result = refund()

    assert result.allowed
    assert result.amount_cents == 32500 + 7900
    assert result.reason == "Tuition and CE fee refunded; the administrative fee is not refundable."


def test_trainee_without_ce_is_told_tuition_is_refunded():
    result = refund(paid=replace(PAID_MODULE, ce_fee_cents=0, ce_credit_type=None))

    assert result.amount_cents == 32500
    assert result.reason == "Tuition refunded; the administrative fee is not refundable."


def test_cancelling_exactly_at_the_deadline_is_still_in_time():
    assert refund(now=STARTS_AT - timedelta(days=14)).allowed


def test_cancelling_after_the_deadline_is_refused_with_the_deadline():
    # What the trainee can do instead (another date, if there is one) is for the page to say.
    result = refund(now=STARTS_AT - timedelta(days=14) + timedelta(seconds=1))

    assert not result.allowed
    assert result.amount_cents == 0
    assert "14 days before" in result.reason
    assert "Mon, Jun 7, 2027" in result.reason


def test_center_cancelling_refunds_everything_even_on_the_day():
    result = refund(now=STARTS_AT + timedelta(hours=1), session_cancelled_by_center=True)

    assert result.allowed
    assert result.amount_cents == 32500 + 2500 + 7900
    assert "including the administrative fee" in result.reason


def test_what_was_already_refunded_is_deducted():
    result = refund(refunded_cents=7900)

    assert result.amount_cents == 32500
    assert "$79 already refunded" in result.reason


def test_nothing_left_to_refund_is_said_plainly():
    result = refund(refunded_cents=32500 + 7900)

    assert result.amount_cents == 0
    assert "already been refunded" in result.reason


def test_bundle_item_refunds_its_share():
    share = replace(PAID_MODULE, tuition_cents=35057, admin_fee_cents=2143, ce_fee_cents=0)

    assert refund(paid=share).amount_cents == 35057


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        refund(now=datetime(2027, 6, 1, 9, 0))


def test_negative_already_refunded_is_refused():
    with pytest.raises(ValueError):
        refund(refunded_cents=-1)


paid_items = st.builds(
    PricedItem,
    session_id=st.just(1),
    offering_id=st.just(1),
    tuition_cents=cents,
    admin_fee_cents=cents,
    ce_fee_cents=cents,
    ce_credit_type=st.sampled_from([None, "apa", "brn"]),
    bundle_id=st.sampled_from([None, 1]),
)
session_starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(PT)
)
offsets = st.timedeltas(min_value=timedelta(days=-90), max_value=timedelta(days=90))


@given(
    paid=paid_items,
    refunded_cents=st.integers(min_value=0, max_value=5_000_000),
    starts_at=session_starts,
    offset=offsets,
    deadline_days=st.integers(min_value=0, max_value=60),
    center=st.booleans(),
)
def test_refund_never_exceeds_what_is_left_of_the_payment(
    paid, refunded_cents, starts_at, offset, deadline_days, center
):
    result = cancellation_refund(
        paid=paid,
        refunded_cents=refunded_cents,
        session_starts_at=starts_at,
        now=(starts_at + offset).astimezone(UTC),
        deadline_days=deadline_days,
        session_cancelled_by_center=center,
    )

    assert 0 <= result.amount_cents <= max(paid.total_cents - refunded_cents, 0)
    assert result.reason
    if not center:
        assert result.amount_cents <= max(
            paid.tuition_cents + paid.ce_fee_cents - refunded_cents, 0
        )
    if not result.allowed:
        assert result.amount_cents == 0


@given(
    paid=paid_items,
    refunded_cents=st.integers(min_value=0, max_value=5_000_000),
    starts_at=session_starts,
    offset=offsets,
    deadline_days=st.integers(min_value=0, max_value=60),
)
def test_center_cancelling_refunds_the_rest_of_the_payment_at_any_time(
    paid, refunded_cents, starts_at, offset, deadline_days
):
    result = cancellation_refund(
        paid=paid,
        refunded_cents=refunded_cents,
        session_starts_at=starts_at,
        now=starts_at + offset,
        deadline_days=deadline_days,
        session_cancelled_by_center=True,
    )

    assert result.allowed
    assert result.amount_cents == max(paid.total_cents - refunded_cents, 0)


@given(
    paid=paid_items,
    refunded_cents=st.integers(min_value=0, max_value=5_000_000),
    starts_at=session_starts,
    late_by=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=90)),
    deadline_days=st.integers(min_value=0, max_value=60),
)
def test_nothing_after_the_deadline_unless_the_center_cancelled(
    paid, refunded_cents, starts_at, late_by, deadline_days
):
    deadline = starts_at - timedelta(days=deadline_days)
    result = cancellation_refund(
        paid=paid,
        refunded_cents=refunded_cents,
        session_starts_at=starts_at,
        now=deadline + late_by,
        deadline_days=deadline_days,
    )

    assert not result.allowed
    assert result.amount_cents == 0
    assert "The cancellation deadline has passed" in result.reason


@given(
    paid=paid_items,
    refunded_cents=st.integers(min_value=0, max_value=5_000_000),
    starts_at=session_starts,
    early_by=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)),
    deadline_days=st.integers(min_value=0, max_value=60),
)
def test_in_time_the_trainee_gets_tuition_and_ce_back_never_the_admin_fee(
    paid, refunded_cents, starts_at, early_by, deadline_days
):
    deadline = starts_at - timedelta(days=deadline_days)
    result = cancellation_refund(
        paid=paid,
        refunded_cents=refunded_cents,
        session_starts_at=starts_at,
        now=deadline - early_by,
        deadline_days=deadline_days,
    )

    assert result.allowed
    assert result.amount_cents == max(paid.tuition_cents + paid.ce_fee_cents - refunded_cents, 0)


@given(paid=paid_items, starts_at=session_starts, offset=offsets)
def test_refunding_twice_never_returns_more_than_was_paid(paid, starts_at, offset):
    first = cancellation_refund(
        paid=paid,
        refunded_cents=0,
        session_starts_at=starts_at,
        now=starts_at + offset,
        deadline_days=14,
    )
    assume(first.allowed)
    second = cancellation_refund(
        paid=paid,
        refunded_cents=first.amount_cents,
        session_starts_at=starts_at,
        now=starts_at + offset,
        deadline_days=14,
        session_cancelled_by_center=True,
    )

    assert first.amount_cents + second.amount_cents == paid.total_cents
