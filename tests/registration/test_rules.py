"""Who may register for what: one test per rule, then properties over arbitrary facts."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.models import Offering, Session
from catalog.professions import MEDICAL_PROVIDERS, Profession
from registration import rules
from registration.pricing import BundlePrice, ItemPrice, quote
from registration.rules import (
    CartItemFacts,
    Code,
    CreditTypeFacts,
    SessionSpan,
    TraineeFacts,
    ce_options,
    certificate_only_message,
    check_cart,
)

PT = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 1, 15, 10, 0, tzinfo=PT)

APA = CreditTypeFacts(
    code="apa",
    name="APA CE",
    professions=frozenset({"psychologist", "lmft", "lcsw", "lpcc", "lep"}),
    board_state="CA",
    notice_professions=frozenset({"lmft", "lcsw", "lpcc", "lep"}),
    out_of_state_notice=(
        "LCSWs and MFTs from states other than California need to check with their state "
        "licensing board for approval."
    ),
)
BRN = CreditTypeFacts(
    code="brn",
    name="California BRN CE",
    professions=frozenset({"rn"}),
    board_state="CA",
    notice_professions=frozenset({"rn"}),
    out_of_state_notice=(
        "Nurses licensed in states other than California need to check with their state board "
        "of nursing for approval."
    ),
)
CREDIT_TYPES = (APA, BRN)

# Offering ids: the module's number for Modules 1–7, then the other offerings.
RAINFALL, EXPERIENTIAL, PRACTICUM, RESIDENTIAL, MUSIC = 20, 21, 22, 23, 24


def day(month: int, day_of_month: int, *, start: int = 9, end: int = 17) -> dict:
    """A session's start and end on a 2027 day, Pacific time."""
    return {
        "starts_at": datetime(2027, month, day_of_month, start, tzinfo=PT),
        "ends_at": datetime(2027, month, day_of_month, end, tzinfo=PT),
    }


def trainee(**changes) -> TraineeFacts:
    facts = TraineeFacts(
        profile_complete=True,
        profession="psychologist",
        license_state="CA",
        attended_offering_ids=frozenset(),
        paid_sessions=(),
        pending_sessions=(),
        waived_offering_ids=frozenset(),
        intake_approved_until=None,
        invited_offering_ids=frozenset(),
    )
    return replace(facts, **changes)


def offering(offering_id: int, label: str, *, session_id: int | None = None, **changes):
    facts = CartItemFacts(
        session_id=session_id if session_id is not None else offering_id * 100,
        offering_id=offering_id,
        offering_label=label,
        offering_kind="music",
        module_number=None,
        access_rule="open",
        prerequisite_ids=frozenset(),
        prerequisite_labels=(),
        eligible_professions=frozenset(),
        has_price=True,
        session_status="scheduled",
        seats_left=10,
        registration_opens_at=None,
        registration_closes_at=None,
        **day(6, 21),
    )
    return replace(facts, **changes)


def module(number: int, **changes) -> CartItemFacts:
    later = {"prerequisite_ids": frozenset({1}), "prerequisite_labels": ("Module 1",)}
    facts = offering(
        number,
        f"Module {number}",
        offering_kind="module",
        module_number=number,
        previous_module_offering_id=number - 1 if number >= 3 else None,
        **(later if number >= 2 else {}),
    )
    return replace(facts, **changes)


def rainfall(**changes) -> CartItemFacts:
    facts = offering(
        RAINFALL,
        "Rainfall Medical Module",
        offering_kind="medical",
        eligible_professions=MEDICAL_PROVIDERS,
    )
    return replace(facts, **changes)


def span(item: CartItemFacts) -> SessionSpan:
    return SessionSpan(
        offering_id=item.offering_id,
        session_id=item.session_id,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
    )


def check(*items: CartItemFacts, who: TraineeFacts | None = None, **options):
    return check_cart(trainee=who or trainee(), items=items, now=NOW, **options)


def refused(result, item: CartItemFacts) -> set[Code]:
    return {problem.code for problem in result.refusals(item.session_id)}


def message(result, item: CartItemFacts, code: Code) -> str:
    (found,) = [p.message for p in result.problems[item.session_id] if p.code == code]
    return found


# --- Module 1 before Modules 2–7 ----------------------------------------------------------------


def test_module2_refused_without_module1():
    module2 = module(2)
    result = check(module2)

    assert not result.ok
    assert refused(result, module2) == {Code.PREREQUISITE}
    assert message(result, module2, Code.PREREQUISITE) == (
        "Module 1 is required before Module 2: add a session of Module 1 that ends before this "
        "one starts, or ask the training coordinator about a waiver."
    )


def test_module1_has_no_prerequisite():
    assert check(module(1)).ok


def test_module1_in_same_cart_ending_before_counts():
    assert check(module(1, **day(6, 1)), module(2, **day(6, 21))).ok


def test_module1_in_same_cart_later_in_cart_order_still_counts():
    assert check(module(2, **day(6, 21)), module(1, **day(6, 1))).ok


def test_module1_in_same_cart_ending_exactly_at_the_start_counts():
    module1 = module(1, **day(6, 21, start=9, end=12))
    module2 = module(2, **day(6, 21, start=12, end=17))

    assert check(module1, module2).ok


def test_module1_in_same_cart_after_does_not_count():
    module2 = module(2, **day(6, 1))
    result = check(module(1, **day(6, 21)), module2)

    assert refused(result, module2) == {Code.PREREQUISITE}


def test_attended_module1_satisfies():
    assert check(module(4), who=trainee(attended_offering_ids=frozenset({1}))).ok


def test_paid_module1_ending_before_counts():
    paid = span(module(1, **day(5, 3)))

    assert check(module(2), who=trainee(paid_sessions=(paid,))).ok


def test_paid_module1_ending_after_does_not_count():
    paid = span(module(1, **day(7, 3)))
    module2 = module(2)

    assert refused(check(module2, who=trainee(paid_sessions=(paid,))), module2) == {
        Code.PREREQUISITE
    }


def test_module1_held_in_an_unpaid_order_does_not_count():
    held = span(module(1, **day(5, 3)))
    module2 = module(2)

    assert Code.PREREQUISITE in refused(
        check(module2, who=trainee(pending_sessions=(held,))), module2
    )


def test_waiver_satisfies_module1():
    assert check(module(2), who=trainee(waived_offering_ids=frozenset({1}))).ok


def test_each_missing_prerequisite_is_named():
    item = offering(
        50,
        "Advanced Seminar",
        prerequisite_ids=frozenset({1, MUSIC}),
        prerequisite_labels=("Module 1", "Music Module"),
    )
    result = check(item, who=trainee(attended_offering_ids=frozenset({MUSIC})))

    assert message(result, item, Code.PREREQUISITE).startswith(
        "Module 1 is required before Advanced Seminar"
    )
    both = check(item)
    assert message(both, item, Code.PREREQUISITE).startswith(
        "Module 1 and Music Module are required before Advanced Seminar"
    )


# --- Rainfall Medical Module --------------------------------------------------------------------


def test_rainfall_refused_for_lmft():
    item = rainfall()
    result = check(item, who=trainee(profession="lmft"))

    assert refused(result, item) == {Code.MEDICAL_ONLY}
    assert message(result, item, Code.MEDICAL_ONLY) == (
        "Rainfall Medical Module is for prescribers and other medical providers "
        "(RN, NP, MD, DO, PA); your license (LMFT) is not among them."
    )


@pytest.mark.parametrize("profession", sorted(MEDICAL_PROVIDERS))
def test_rainfall_open_to_medical_providers(profession):
    assert check(rainfall(), who=trainee(profession=profession)).ok


def test_rainfall_asks_for_the_profession_when_the_profile_lacks_it():
    item = rainfall()
    result = check(item, who=trainee(profession=None, profile_complete=False))

    assert refused(result, item) == {Code.PROFILE_INCOMPLETE}
    assert "complete your profile" in message(result, item, Code.PROFILE_INCOMPLETE)


def test_other_profession_lists_are_named_as_such():
    item = offering(51, "Supervision Group", eligible_professions=frozenset({"psychologist"}))
    result = check(item, who=trainee(profession="rn"))

    assert message(result, item, Code.MEDICAL_ONLY) == (
        "Supervision Group is for these professions: Psychologist; your license (RN) is not "
        "among them."
    )


# --- access rules -------------------------------------------------------------------------------


def experiential(**changes) -> CartItemFacts:
    facts = offering(
        EXPERIENTIAL, "Experiential Workshop", offering_kind="experiential", access_rule="intake"
    )
    return replace(facts, **changes)


def test_experiential_refused_without_approved_intake():
    item = experiential()
    result = check(item)

    assert refused(result, item) == {Code.INTAKE_REQUIRED}
    assert "medical and psychological intake" in message(result, item, Code.INTAKE_REQUIRED)


def test_experiential_allowed_with_approved_intake():
    approved = trainee(intake_approved_until=NOW + timedelta(days=90))

    assert check(experiential(), who=approved).ok


def test_intake_approval_valid_until_now_is_enough():
    assert check(experiential(), who=trainee(intake_approved_until=NOW)).ok


def test_expired_intake_refused_with_its_date():
    item = experiential()
    result = check(item, who=trainee(intake_approved_until=NOW - timedelta(days=1)))

    assert refused(result, item) == {Code.INTAKE_REQUIRED}
    assert "expired on Thu, Jan 14, 2027" in message(result, item, Code.INTAKE_REQUIRED)


def practicum(**changes) -> CartItemFacts:
    facts = offering(PRACTICUM, "Practicum", offering_kind="practicum", access_rule="invitation")
    return replace(facts, **changes)


def test_practicum_refused_without_invitation():
    item = practicum()
    result = check(item)

    assert refused(result, item) == {Code.INVITATION_REQUIRED}
    assert "by invitation only" in message(result, item, Code.INVITATION_REQUIRED)


def test_practicum_allowed_with_invitation():
    assert check(practicum(), who=trainee(invited_offering_ids=frozenset({PRACTICUM}))).ok


def test_residential_dates_to_be_announced_points_to_the_interest_list_once():
    item = offering(
        RESIDENTIAL,
        "Residential Level 1",
        offering_kind="residential",
        access_rule="announce",
        session_status="tba",
        starts_at=None,
        ends_at=None,
    )
    result = check(item)

    assert [p.code for p in result.problems[item.session_id]] == [Code.NOT_SCHEDULED]
    assert "interest list" in message(result, item, Code.NOT_SCHEDULED)


# --- the session itself -------------------------------------------------------------------------


def test_cancelled_session_refused():
    item = module(1, session_status="cancelled")

    assert refused(check(item), item) == {Code.CANCELLED}


def test_session_without_dates_refused_with_interest_list():
    item = module(1, session_status="tba", starts_at=None, ends_at=None)
    result = check(item)

    assert refused(result, item) == {Code.NOT_SCHEDULED}
    assert "not yet set" in message(result, item, Code.NOT_SCHEDULED)


def test_session_that_started_refused():
    item = module(1, starts_at=NOW, ends_at=NOW + timedelta(hours=8))
    result = check(item)

    assert refused(result, item) == {Code.PAST}
    assert "already started" in message(result, item, Code.PAST)


def test_registration_not_open_yet_says_when_it_opens():
    item = module(1, registration_opens_at=datetime(2027, 2, 1, 9, tzinfo=PT))
    result = check(item)

    assert refused(result, item) == {Code.NOT_OPEN_YET}
    assert message(result, item, Code.NOT_OPEN_YET) == (
        "Registration for this Module 1 session opens on Mon, Feb 1, 2027."
    )


def test_registration_closed():
    item = module(1, registration_closes_at=NOW)

    assert refused(check(item), item) == {Code.CLOSED}


def test_full_session_refused_with_waitlist_hint():
    item = module(1, seats_left=0)
    result = check(item)

    assert refused(result, item) == {Code.FULL}
    assert message(result, item, Code.FULL) == (
        "This Module 1 session is full. You can join its waitlist."
    )


def test_full_session_fine_when_a_waitlist_offer_holds_the_seat():
    item = module(1, seats_left=0, holds_seat=True)
    held = trainee(pending_sessions=(span(item),))

    assert check(item, who=held).ok


def test_offering_without_price_refused():
    item = module(1, has_price=False)

    assert refused(check(item), item) == {Code.NO_PRICE}


# --- enrolments and clashes ---------------------------------------------------------------------


def test_already_enrolled_in_the_offering_refused():
    item = module(1)
    paid = span(module(1, session_id=7, **day(9, 11)))
    result = check(item, who=trainee(paid_sessions=(paid,)))

    assert refused(result, item) == {Code.ALREADY_ENROLLED}
    assert "Sat, Sep 11, 2027" in message(result, item, Code.ALREADY_ENROLLED)


def test_seat_held_in_an_unpaid_order_refused():
    item = module(1)
    held = span(module(1, session_id=7, **day(9, 11)))

    assert refused(check(item, who=trainee(pending_sessions=(held,))), item) == {
        Code.ALREADY_ENROLLED
    }


def test_two_sessions_of_one_offering_refuse_the_later():
    first = module(1, session_id=1, **day(6, 1))
    second = module(1, session_id=2, **day(6, 21))
    result = check(first, second)

    assert refused(result, first) == set()
    assert refused(result, second) == {Code.DUPLICATE_OFFERING}


def test_overlapping_sessions_refused():
    music = offering(MUSIC, "Music Module", **day(6, 21, start=13, end=17))
    module1 = module(1, **day(6, 21))
    result = check(music, module1)

    assert refused(result, music) == set()
    assert refused(result, module1) == {Code.OVERLAP}
    assert message(result, module1, Code.OVERLAP).startswith(
        "This session overlaps your Music Module session (Mon, Jun 21, 2027"
    )


def test_back_to_back_sessions_do_not_overlap():
    module1 = module(1, **day(6, 21, start=9, end=13))
    music = offering(MUSIC, "Music Module", **day(6, 21, start=13, end=17))

    assert check(module1, music).ok


def test_overlap_with_a_paid_session_refused():
    item = module(1)
    paid = span(offering(MUSIC, "Music Module", **day(6, 21, start=8, end=10)))
    result = check(item, who=trainee(paid_sessions=(paid,)))

    assert refused(result, item) == {Code.OVERLAP}
    assert "another session you are registered for" in message(result, item, Code.OVERLAP)


def test_overlap_with_a_held_seat_refused():
    item = module(1)
    held = span(offering(MUSIC, "Music Module", **day(6, 21, start=16, end=18)))

    assert refused(check(item, who=trainee(pending_sessions=(held,))), item) == {Code.OVERLAP}


# --- CE -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["CA", "NY", ""])
def test_psychologist_may_buy_apa_anywhere(state):
    who = trainee(profession="psychologist", license_state=state)

    assert check(module(1, ce=APA), who=who).ok
    assert ce_options(trainee=who, credit_types=CREDIT_TYPES)[0].notice == ""


def test_lmft_in_california_buys_apa_without_notice():
    assert check(module(1, ce=APA), who=trainee(profession="lmft", license_state="CA")).ok


def test_lmft_outside_california_sees_notice_before_apa():
    who = trainee(profession="lmft", license_state="OR")
    item = module(1, ce=APA)
    result = check(item, who=who)

    assert refused(result, item) == {Code.CE_NOTICE}
    assert message(result, item, Code.CE_NOTICE) == APA.out_of_state_notice
    assert check(replace(item, ce_notice_acknowledged=True), who=who).ok


def test_rn_buys_brn_and_sees_notice_outside_california():
    assert check(module(1, ce=BRN), who=trainee(profession="rn", license_state="CA")).ok
    item = module(1, ce=BRN)
    result = check(item, who=trainee(profession="rn", license_state="NV"))
    assert message(result, item, Code.CE_NOTICE) == BRN.out_of_state_notice


def test_rn_cannot_buy_apa():
    item = module(1, ce=APA)
    result = check(item, who=trainee(profession="rn"))

    assert refused(result, item) == {Code.CE_NOT_ALLOWED}
    assert message(result, item, Code.CE_NOT_ALLOWED).startswith(
        "Your license (RN) cannot use APA CE."
    )


def test_md_gets_no_ce_and_is_told_certificate_of_attendance():
    md = trainee(profession="md")
    item = module(1, ce=APA)
    result = check(item, who=md)

    assert refused(result, item) == {Code.CE_NOT_ALLOWED}
    assert message(result, item, Code.CE_NOT_ALLOWED) == (
        "Your license (MD) cannot use APA CE. You will receive a Certificate of Attendance for "
        "this session."
    )
    assert not any(option.allowed for option in ce_options(trainee=md, credit_types=CREDIT_TYPES))
    assert certificate_only_message(trainee=md, credit_types=CREDIT_TYPES) == (
        "CE is not offered for your license (MD). You will receive a Certificate of Attendance "
        "for every session you attend."
    )


def test_ce_needs_a_complete_profile():
    item = module(1, ce=APA)
    result = check(item, who=trainee(profile_complete=False))

    assert refused(result, item) == {Code.PROFILE_INCOMPLETE}
    assert "license number" in message(result, item, Code.PROFILE_INCOMPLETE)


def test_session_without_ce_needs_no_profile():
    assert check(module(1), who=trainee(profile_complete=False, profession=None)).ok


@pytest.mark.parametrize(
    ("profession", "state", "allowed", "notices"),
    [
        ("psychologist", "CA", {"apa"}, set()),
        ("psychologist", "TX", {"apa"}, set()),
        ("lmft", "CA", {"apa"}, set()),
        ("lcsw", "CA", {"apa"}, set()),
        ("lpcc", "CA", {"apa"}, set()),
        ("lep", "CA", {"apa"}, set()),
        ("lmft", "WA", {"apa"}, {"apa"}),
        ("lcsw", "NY", {"apa"}, {"apa"}),
        ("rn", "CA", {"brn"}, set()),
        ("rn", "AZ", {"brn"}, {"brn"}),
        ("np", "CA", set(), set()),
        ("md", "CA", set(), set()),
        ("do", "CA", set(), set()),
        ("pa", "CA", set(), set()),
        ("other", "CA", set(), set()),
    ],
)
def test_ce_options_follow_the_ce_rules(profession, state, allowed, notices):
    who = trainee(profession=profession, license_state=state)
    options = ce_options(trainee=who, credit_types=CREDIT_TYPES)

    assert [option.code for option in options] == ["apa", "brn"]
    assert {option.code for option in options if option.allowed} == allowed
    assert {option.code for option in options if option.notice} == notices
    assert all(option.reason for option in options if not option.allowed)
    only_certificate = certificate_only_message(trainee=who, credit_types=CREDIT_TYPES)
    assert (only_certificate is not None) == (not allowed)


def test_ce_options_ask_for_the_profession_first():
    who = trainee(profession=None, profile_complete=False)
    options = ce_options(trainee=who, credit_types=CREDIT_TYPES)

    assert not any(option.allowed for option in options)
    assert all("complete your profile" in option.reason for option in options)
    assert certificate_only_message(trainee=who, credit_types=CREDIT_TYPES) is None


def test_ce_rules_come_from_the_credit_type_data():
    nursing_anywhere = replace(
        BRN, notice_professions=frozenset(), professions=frozenset({"rn", "np"})
    )
    who = trainee(profession="np", license_state="NV")

    (option,) = ce_options(trainee=who, credit_types=[nursing_anywhere])
    assert option.allowed
    assert option.notice == ""


# --- modules in sequence ------------------------------------------------------------------------

MODULE1_DONE = trainee(attended_offering_ids=frozenset({1}))


def test_sequence_is_a_warning_not_a_refusal():
    module3 = module(3)
    result = check(module3, who=MODULE1_DONE)

    assert result.ok
    assert result.refusals(module3.session_id) == ()
    (warning,) = result.warnings(module3.session_id)
    assert warning.code == Code.SEQUENCE
    assert warning.message == (
        "Module 3 builds on Module 2; taking the modules in sequence is recommended, not required."
    )


def test_no_sequence_warning_with_previous_module_in_the_cart():
    result = check(module(2, **day(6, 1)), module(3), who=MODULE1_DONE)

    assert result.warnings(300) == ()


@pytest.mark.parametrize("how", ["attended", "paid", "pending"])
def test_no_sequence_warning_with_previous_module_taken(how):
    previous = span(module(2, **day(3, 1)))
    who = {
        "attended": replace(MODULE1_DONE, attended_offering_ids=frozenset({1, 2})),
        "paid": replace(MODULE1_DONE, paid_sessions=(previous,)),
        "pending": replace(MODULE1_DONE, pending_sessions=(previous,)),
    }[how]

    assert check(module(3), who=who).warnings(300) == ()


def test_module2_gets_no_sequence_warning():
    assert check(module(2), who=MODULE1_DONE).warnings(200) == ()


def test_no_sequence_warning_without_knowing_the_previous_module():
    result = check(module(5, previous_module_offering_id=None), who=MODULE1_DONE)

    assert result.warnings(500) == ()


# --- bundles ------------------------------------------------------------------------------------

FULL_TRAINING = frozenset(range(1, 8))
FULL_TRAINING_LABELS = {n: f"Module {n}" for n in range(1, 8)}


def seven_modules() -> list[CartItemFacts]:
    return [module(n, **day(n + 1, 5)) for n in range(1, 8)]


def test_full_training_with_one_date_per_module_is_ok():
    result = check(
        *seven_modules(),
        bundle_offering_ids=FULL_TRAINING,
        bundle_offering_labels=FULL_TRAINING_LABELS,
    )

    assert result.ok
    assert result.general == ()
    assert all(problems == () for problems in result.problems.values())


def test_bundle_missing_module_is_named():
    items = [item for item in seven_modules() if item.module_number != 4]
    result = check(
        *items, bundle_offering_ids=FULL_TRAINING, bundle_offering_labels=FULL_TRAINING_LABELS
    )

    assert not result.ok
    assert [(p.code, p.message) for p in result.general_refusals] == [
        (Code.BUNDLE_INCOMPLETE, "Choose a date for Module 4.")
    ]


def test_bundle_with_two_dates_of_one_module_refused():
    items = [*seven_modules(), module(3, session_id=301, **day(10, 1))]
    result = check(
        *items, bundle_offering_ids=FULL_TRAINING, bundle_offering_labels=FULL_TRAINING_LABELS
    )

    assert {p.code for p in result.general_refusals} == {Code.BUNDLE_EXTRA}
    assert refused(result, items[-1]) == {Code.DUPLICATE_OFFERING}


def test_bundle_with_another_offering_beside_it_is_fine():
    music = offering(MUSIC, "Music Module", **day(11, 1))
    result = check(
        *seven_modules(),
        music,
        bundle_offering_ids=FULL_TRAINING,
        bundle_offering_labels=FULL_TRAINING_LABELS,
    )

    assert result.ok


def test_empty_cart_refused():
    result = check()

    assert not result.ok
    assert [p.code for p in result.general] == [Code.EMPTY_CART]


def test_rule_constants_match_the_catalog_models():

    assert {rules.ACCESS_INTAKE, rules.ACCESS_INVITATION, rules.ACCESS_ANNOUNCE} < set(
        Offering.Access.values
    )
    assert rules.KIND_MODULE in Offering.Kind.values
    assert {rules.STATUS_CANCELLED, rules.STATUS_TBA} < set(Session.Status.values)


# --- properties ---------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2026, 6, 1), max_value=datetime(2028, 6, 1), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=3))
offering_ids = st.integers(min_value=1, max_value=8)
id_sets = st.frozensets(offering_ids, max_size=4)
professions = st.sampled_from([*Profession.values, "unknown"]) | st.none()
credit_types = st.sampled_from([APA, BRN]) | st.builds(
    CreditTypeFacts,
    code=st.just("x"),
    name=st.text(alphabet="abcXYZ ", min_size=1, max_size=10),
    professions=st.frozensets(st.sampled_from(Profession.values)),
    board_state=st.sampled_from(["CA", "", "NY"]),
    notice_professions=st.frozensets(st.sampled_from(Profession.values)),
    out_of_state_notice=st.sampled_from(["", "Check with your board."]),
)


@st.composite
def spans(draw, session_id):
    starts_at = draw(moments)
    return SessionSpan(
        offering_id=draw(offering_ids),
        session_id=session_id,
        starts_at=starts_at,
        ends_at=starts_at + draw(durations),
    )


@st.composite
def trainees(draw):
    return TraineeFacts(
        profile_complete=draw(st.booleans()),
        profession=draw(professions),
        license_state=draw(st.sampled_from(["CA", "NY", "", "ca"])),
        attended_offering_ids=draw(id_sets),
        paid_sessions=tuple(draw(spans(session_id)) for session_id in draw(id_sets)),
        pending_sessions=tuple(draw(spans(session_id + 50)) for session_id in draw(id_sets)),
        waived_offering_ids=draw(id_sets),
        intake_approved_until=draw(st.none() | moments),
        invited_offering_ids=draw(id_sets),
    )


@st.composite
def cart_items(draw, session_id):
    offering_id = draw(offering_ids)
    dated = draw(st.booleans())
    starts_at = draw(moments) if dated else None
    ends_at = starts_at + draw(durations) if starts_at else None
    prerequisite_ids = draw(id_sets)
    return CartItemFacts(
        session_id=session_id,
        offering_id=offering_id,
        offering_label=draw(st.sampled_from(["Module 2", "Music Module", ""])),
        offering_kind=draw(st.sampled_from(["module", "music", "medical", "odd"])),
        module_number=draw(st.none() | st.integers(min_value=-1, max_value=9)),
        access_rule=draw(st.sampled_from(["open", "intake", "invitation", "announce", "odd"])),
        prerequisite_ids=prerequisite_ids,
        prerequisite_labels=tuple(
            draw(st.lists(st.sampled_from(["Module 1", "Music Module"]), max_size=4))
        ),
        eligible_professions=draw(st.frozensets(st.sampled_from(Profession.values))),
        has_price=draw(st.booleans()),
        session_status=draw(st.sampled_from(["scheduled", "cancelled", "tba", "odd"])),
        starts_at=starts_at,
        ends_at=ends_at,
        seats_left=draw(st.integers(min_value=-2, max_value=3)),
        registration_opens_at=draw(st.none() | moments),
        registration_closes_at=draw(st.none() | moments),
        ce=draw(st.none() | credit_types),
        ce_notice_acknowledged=draw(st.booleans()),
        holds_seat=draw(st.booleans()),
        previous_module_offering_id=draw(st.none() | offering_ids),
    )


@st.composite
def carts(draw):
    session_ids = draw(st.lists(st.integers(min_value=1, max_value=60), max_size=6, unique=True))
    items = [draw(cart_items(session_id)) for session_id in session_ids]
    bundle = draw(st.none() | id_sets)
    labels = draw(st.none() | st.just({1: "Module 1", 2: "Module 2"}))
    return items, bundle, labels


def run(who, cart, now):
    items, bundle, labels = cart
    return check_cart(
        trainee=who,
        items=items,
        now=now,
        bundle_offering_ids=bundle,
        bundle_offering_labels=labels,
    )


def refusal_codes(result) -> dict:
    return {
        "general": {p.code for p in result.general_refusals},
        **{sid: {p.code for p in result.refusals(sid)} for sid in result.problems},
    }


def no_more_refusals(before, after) -> bool:
    return all(after[key] <= before[key] for key in before)


@given(trainees(), carts(), moments)
def test_check_cart_answers_for_every_item_and_never_raises(who, cart, now):
    result = run(who, cart, now)

    assert set(result.problems) == {item.session_id for item in cart[0]}


@given(trainees(), carts(), moments)
def test_every_problem_explains_itself(who, cart, now):
    result = run(who, cart, now)

    for problem in [*result.general, *(p for ps in result.problems.values() for p in ps)]:
        assert problem.message.strip()
        assert "%(" not in problem.message
        assert isinstance(problem.code, Code)


@given(trainees(), carts(), moments)
def test_ok_means_no_refusal_anywhere(who, cart, now):
    result = run(who, cart, now)

    every = [*result.general, *(p for ps in result.problems.values() for p in ps)]
    assert result.ok == (not any(p.refusal for p in every))
    warnings_only = all(p.code == Code.SEQUENCE for p in every if not p.refusal)
    assert warnings_only


@given(trainees(), carts(), moments, id_sets)
def test_adding_a_waiver_never_adds_a_refusal(who, cart, now, waived):
    before = refusal_codes(run(who, cart, now))
    more = replace(who, waived_offering_ids=who.waived_offering_ids | waived)

    assert no_more_refusals(before, refusal_codes(run(more, cart, now)))


@given(trainees(), carts(), moments, id_sets)
def test_attending_more_never_adds_a_refusal(who, cart, now, attended):
    before = refusal_codes(run(who, cart, now))
    more = replace(who, attended_offering_ids=who.attended_offering_ids | attended)

    assert no_more_refusals(before, refusal_codes(run(more, cart, now)))


@given(trainees(), carts(), moments)
def test_acknowledging_ce_notices_never_adds_a_refusal(who, cart, now):
    items, bundle, labels = cart
    before = refusal_codes(run(who, cart, now))
    acknowledged = [replace(item, ce_notice_acknowledged=True) for item in items]
    after = refusal_codes(run(who, (acknowledged, bundle, labels), now))

    assert no_more_refusals(before, after)
    assert all(Code.CE_NOTICE not in codes for codes in after.values())


@st.composite
def orderable_carts(draw):
    """Carts that only their offerings' mix can spoil: open, dated apart, priced, with seats."""
    chosen = draw(st.lists(offering_ids, max_size=8))
    items = [
        offering(
            offering_id, f"Training {offering_id}", session_id=position, **day(2, position + 1)
        )
        for position, offering_id in enumerate(chosen)
    ]
    return items, draw(st.none() | id_sets)


@given(orderable_carts(), st.lists(st.integers(min_value=0, max_value=50000), min_size=8))
def test_the_rules_accept_exactly_the_carts_pricing_can_price(cart, tuitions):
    items, bundle = cart
    result = check_cart(trainee=trainee(), items=items, now=NOW, bundle_offering_ids=bundle)
    prices = [
        ItemPrice(
            session_id=item.session_id,
            offering_id=item.offering_id,
            tuition_cents=tuition,
            admin_fee_cents=2500,
        )
        for item, tuition in zip(items, tuitions, strict=False)
    ]
    bundle_price = (
        BundlePrice(bundle_id=1, tuition_cents=240000, admin_fee_cents=15000, offering_ids=bundle)
        if bundle is not None
        else None
    )
    counts = [item.offering_id for item in items]
    bundle_fits = bundle is None or (
        bool(bundle) and all(counts.count(offering_id) == 1 for offering_id in bundle)
    )
    no_duplicates = len(set(counts)) == len(counts)

    assert result.ok == (bool(items) and no_duplicates and bundle_fits)
    if bundle_fits:
        assert quote(items=prices, bundle=bundle_price).total_cents >= 0
    else:
        with pytest.raises(ValueError):
            quote(items=prices, bundle=bundle_price)


@given(trainees(), credit_types)
def test_ce_options_agree_with_the_cart_check(who, credit_type):
    # Only the CE rules speak: no enrolments for the session or its time to clash with.
    who = replace(who, paid_sessions=(), pending_sessions=())
    (option,) = ce_options(trainee=who, credit_types=[credit_type])
    item = module(1, ce=credit_type)
    refusals = refused(check_cart(trainee=who, items=[item], now=NOW), item)
    ce_codes = {Code.CE_NOT_ALLOWED, Code.PROFILE_INCOMPLETE, Code.CE_NOTICE}

    if option.allowed and not option.notice:
        assert not refusals & ce_codes
    if not option.allowed:
        assert refusals & {Code.CE_NOT_ALLOWED, Code.PROFILE_INCOMPLETE}
        assert option.reason
    if option.allowed and option.notice:
        assert refusals == {Code.CE_NOTICE}
        acknowledged = check_cart(
            trainee=who, items=[replace(item, ce_notice_acknowledged=True)], now=NOW
        )
        assert acknowledged.ok
