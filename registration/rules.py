"""Who may register for what: the eligibility of a cart's sessions, and the CE a trainee may buy.

Pure functions over plain facts that the selectors gather: no database, no request, no clock
(the caller passes `now`). Datetimes are aware. Every problem carries a message for the trainee.
"""

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.formatting import format_session_date, format_session_when
from catalog.professions import MEDICAL_PROVIDERS, Profession

# The values of Offering.Access, Offering.Kind and Session.Status that the rules act on,
# spelled out so that this module needs no model (a test keeps them in step).
ACCESS_INTAKE = "intake"
ACCESS_INVITATION = "invitation"
ACCESS_ANNOUNCE = "announce"
KIND_MODULE = "module"
STATUS_CANCELLED = "cancelled"
STATUS_TBA = "tba"


@dataclass(frozen=True)
class CreditTypeFacts:
    code: str
    name: str
    professions: frozenset[str]
    board_state: str
    notice_professions: frozenset[str]
    out_of_state_notice: str


@dataclass(frozen=True)
class SessionSpan:
    offering_id: int
    session_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class TraineeFacts:
    profile_complete: bool
    profession: str | None
    license_state: str
    attended_offering_ids: frozenset[int]
    # Confirmed (paid) enrolments, not cancelled.
    paid_sessions: tuple[SessionSpan, ...]
    # Seats held in an unpaid order or by a waitlist offer; not those of the order being checked.
    pending_sessions: tuple[SessionSpan, ...]
    waived_offering_ids: frozenset[int]
    intake_approved_until: datetime | None
    invited_offering_ids: frozenset[int]


@dataclass(frozen=True)
class CartItemFacts:
    """One session in the cart, with what the rules need to know about it and its offering.

    `prerequisite_labels` name the prerequisites in ascending order of their ids.
    `previous_module_offering_id` is the offering of module N-1 for a module N >= 3: without
    it, no sequence warning is given.
    """

    session_id: int
    offering_id: int
    offering_label: str
    offering_kind: str
    module_number: int | None
    access_rule: str
    prerequisite_ids: frozenset[int]
    prerequisite_labels: tuple[str, ...]
    eligible_professions: frozenset[str]
    has_price: bool
    session_status: str
    starts_at: datetime | None
    ends_at: datetime | None
    seats_left: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    ce: CreditTypeFacts | None = None
    ce_notice_acknowledged: bool = False
    # A waitlist offer already holds this very seat for the trainee, so a full session is fine.
    holds_seat: bool = False
    previous_module_offering_id: int | None = None


class Code(StrEnum):
    PREREQUISITE = "prerequisite"
    # The offering is limited to some professions (the Rainfall Medical Module's audience).
    MEDICAL_ONLY = "medical_only"
    INTAKE_REQUIRED = "intake_required"
    INVITATION_REQUIRED = "invitation_required"
    FULL = "full"
    CANCELLED = "cancelled"
    # Dates not yet set, for the session or the whole offering: the interest list applies.
    NOT_SCHEDULED = "not_scheduled"
    PAST = "past"
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    ALREADY_ENROLLED = "already_enrolled"
    OVERLAP = "overlap"
    DUPLICATE_OFFERING = "duplicate_offering"
    NO_PRICE = "no_price"
    CE_NOT_ALLOWED = "ce_not_allowed"
    CE_NOTICE = "ce_notice"
    PROFILE_INCOMPLETE = "profile_incomplete"
    SEQUENCE = "sequence"
    BUNDLE_INCOMPLETE = "bundle_incomplete"
    BUNDLE_EXTRA = "bundle_extra"
    EMPTY_CART = "empty_cart"


@dataclass(frozen=True)
class Problem:
    code: Code
    message: str
    refusal: bool  # False: a warning, the trainee may go on


@dataclass(frozen=True)
class CartCheck:
    problems: dict[int, tuple[Problem, ...]]  # by session id, every item of the cart present
    general: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """Nothing refused: the cart may be ordered, warnings notwithstanding."""
        every = [*self.general, *(p for found in self.problems.values() for p in found)]
        return not any(problem.refusal for problem in every)

    def refusals(self, session_id: int) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems.get(session_id, ()) if p.refusal)

    def warnings(self, session_id: int) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems.get(session_id, ()) if not p.refusal)

    @property
    def general_refusals(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.general if p.refusal)


def _refuse(code: Code, message: str) -> Problem:
    return Problem(code=code, message=message, refusal=True)


def _warn(code: Code, message: str) -> Problem:
    return Problem(code=code, message=message, refusal=False)


def check_cart(
    *,
    trainee: TraineeFacts,
    items: Sequence[CartItemFacts],
    now: datetime,
    bundle_offering_ids: frozenset[int] | None = None,
    bundle_offering_labels: Mapping[int, str] | None = None,
) -> CartCheck:
    """Every reason the trainee cannot (or had better not) order these sessions.

    When two items clash (same offering, overlapping times), the later one in cart order is
    refused. With a bundle, the cart must hold exactly one session of each bundle offering;
    sessions of other offerings may come along, priced on their own.
    """
    found: dict[int, list[Problem]] = {item.session_id: [] for item in items}
    for index, item in enumerate(items):
        others = [other for j, other in enumerate(items) if j != index]
        for problem in _item_problems(
            trainee=trainee, item=item, earlier=items[:index], others=others, now=now
        ):
            if problem not in found[item.session_id]:
                found[item.session_id].append(problem)

    general: list[Problem] = []
    if bundle_offering_ids is not None:
        general.extend(
            _bundle_problems(
                items=items,
                offering_ids=bundle_offering_ids,
                labels=bundle_offering_labels or {},
            )
        )
    elif not items:
        general.append(_refuse(Code.EMPTY_CART, _("Your cart is empty.")))
    return CartCheck(
        problems={session_id: tuple(problems) for session_id, problems in found.items()},
        general=tuple(general),
    )


def _item_problems(
    *,
    trainee: TraineeFacts,
    item: CartItemFacts,
    earlier: Sequence[CartItemFacts],
    others: Sequence[CartItemFacts],
    now: datetime,
) -> Iterator[Problem]:
    yield from _session_problems(item=item, now=now)
    yield from _access_problems(trainee=trainee, item=item, now=now)
    yield from _profession_problems(trainee=trainee, item=item)
    yield from _prerequisite_problems(trainee=trainee, item=item, others=others)
    yield from _enrolment_problems(trainee=trainee, item=item)
    yield from _clash_problems(trainee=trainee, item=item, earlier=earlier, others=others)
    yield from _ce_problems(trainee=trainee, item=item)
    yield from _sequence_problems(trainee=trainee, item=item, others=others)


def session_refusals(*, item: CartItemFacts, now: datetime) -> tuple[Problem, ...]:
    """Why nobody can take a seat in this session now (full, started, cancelled, closed...),
    whatever else is in their cart."""
    return tuple(p for p in _session_problems(item=item, now=now) if p.code != Code.NO_PRICE)


def _session_problems(*, item: CartItemFacts, now: datetime) -> Iterator[Problem]:
    offering = item.offering_label
    if item.session_status == STATUS_CANCELLED:
        yield _refuse(
            Code.CANCELLED,
            _("This %(offering)s session has been cancelled. Please choose another date.")
            % {"offering": offering},
        )
    elif item.session_status == STATUS_TBA or item.starts_at is None or item.ends_at is None:
        # An offering whose dates are all to be announced says so once, in its access rule.
        if item.access_rule != ACCESS_ANNOUNCE:
            yield _refuse(
                Code.NOT_SCHEDULED,
                _(
                    "The dates of this %(offering)s session are not yet set. Join the interest "
                    "list and we will email you when they are."
                )
                % {"offering": offering},
            )
    elif item.starts_at <= now:
        yield _refuse(
            Code.PAST,
            _(
                "This %(offering)s session has already started, so registration is closed. "
                "Please choose a later date."
            )
            % {"offering": offering},
        )
    else:
        if item.registration_opens_at is not None and now < item.registration_opens_at:
            yield _refuse(
                Code.NOT_OPEN_YET,
                _("Registration for this %(offering)s session opens on %(date)s.")
                % {"offering": offering, "date": format_session_date(item.registration_opens_at)},
            )
        if item.registration_closes_at is not None and now >= item.registration_closes_at:
            yield _refuse(
                Code.CLOSED,
                _("Registration for this %(offering)s session closed on %(date)s.")
                % {"offering": offering, "date": format_session_date(item.registration_closes_at)},
            )
        if item.seats_left <= 0 and not item.holds_seat:
            yield _refuse(
                Code.FULL,
                _("This %(offering)s session is full. You can join its waitlist.")
                % {"offering": offering},
            )
    if not item.has_price:
        yield _refuse(
            Code.NO_PRICE,
            _(
                "%(offering)s has no price yet, so it cannot be bought online. Please contact "
                "the training coordinator."
            )
            % {"offering": offering},
        )


def _access_problems(
    *, trainee: TraineeFacts, item: CartItemFacts, now: datetime
) -> Iterator[Problem]:
    offering = item.offering_label
    if item.access_rule == ACCESS_INTAKE:
        approved_until = trainee.intake_approved_until
        if approved_until is None:
            yield _refuse(
                Code.INTAKE_REQUIRED,
                _(
                    "%(offering)s needs an approved medical and psychological intake before you "
                    "can register. Please contact the training coordinator to arrange it."
                )
                % {"offering": offering},
            )
        elif approved_until < now:
            yield _refuse(
                Code.INTAKE_REQUIRED,
                _(
                    "Your intake approval for %(offering)s expired on %(date)s. Please contact "
                    "the training coordinator to renew it before you register."
                )
                % {"offering": offering, "date": format_session_date(approved_until)},
            )
    elif item.access_rule == ACCESS_INVITATION:
        if item.offering_id not in trainee.invited_offering_ids:
            yield _refuse(
                Code.INVITATION_REQUIRED,
                _(
                    "%(offering)s is by invitation only. If you were invited, use the link in "
                    "your invitation email; otherwise please contact the training coordinator."
                )
                % {"offering": offering},
            )
    elif item.access_rule == ACCESS_ANNOUNCE:
        yield _refuse(
            Code.NOT_SCHEDULED,
            _(
                "Dates for %(offering)s are to be announced. Join the interest list and we will "
                "email you when they are published."
            )
            % {"offering": offering},
        )


def _profession_problems(*, trainee: TraineeFacts, item: CartItemFacts) -> Iterator[Problem]:
    if not item.eligible_professions:
        return
    offering = item.offering_label
    if trainee.profession is None:
        yield _refuse(
            Code.PROFILE_INCOMPLETE,
            _(
                "Please complete your profile with your profession or license type: "
                "%(offering)s is open only to %(audience)s."
            )
            % {"offering": offering, "audience": _audience(item.eligible_professions)},
        )
    elif trainee.profession not in item.eligible_professions:
        yield _refuse(
            Code.MEDICAL_ONLY,
            _("%(offering)s is for %(audience)s; your license (%(license)s) is not among them.")
            % {
                "offering": offering,
                "audience": _audience(item.eligible_professions),
                "license": profession_short_label(trainee.profession),
            },
        )


def _audience(professions: frozenset[str]) -> str:
    names = ", ".join(profession_short_label(code) for code in _in_profession_order(professions))
    if professions <= MEDICAL_PROVIDERS:
        return _("prescribers and other medical providers (%(professions)s)") % {
            "professions": names
        }
    return _("these professions: %(professions)s") % {"professions": names}


def _in_profession_order(codes: frozenset[str]) -> list[str]:
    known = [str(p) for p in Profession if p in codes]
    return known + sorted(codes - set(known))


def profession_short_label(code: str) -> str:
    """How a license reads in a sentence: "RN", "LMFT", "Psychologist", "Other"."""
    label = str(dict(Profession.choices).get(code, code))
    name, _sep, rest = label.partition(" (")
    abbreviation = rest.removesuffix(")")
    # "Psychologist (PhD, PsyD)" names degrees, not a license: keep the name.
    return abbreviation if abbreviation and "," not in abbreviation else name


def _prerequisite_problems(
    *, trainee: TraineeFacts, item: CartItemFacts, others: Sequence[CartItemFacts]
) -> Iterator[Problem]:
    def ends_in_time(ends_at: datetime | None) -> bool:
        # Without a start date the item is refused anyway; don't pile a timing riddle on top.
        if item.starts_at is None:
            return True
        return ends_at is not None and ends_at <= item.starts_at

    def met(offering_id: int) -> bool:
        return (
            offering_id in trainee.attended_offering_ids
            or offering_id in trainee.waived_offering_ids
            or any(
                span.offering_id == offering_id and ends_in_time(span.ends_at)
                for span in trainee.paid_sessions
            )
            or any(
                other.offering_id == offering_id
                and other.session_status != STATUS_CANCELLED
                and ends_in_time(other.ends_at)
                for other in others
            )
        )

    missing = [offering_id for offering_id in sorted(item.prerequisite_ids) if not met(offering_id)]
    if not missing:
        return
    labels = _prerequisite_labels(item=item, missing=missing)
    yield _refuse(
        Code.PREREQUISITE,
        ngettext(
            "%(required)s is required before %(offering)s: add a session of %(required)s that "
            "ends before this one starts, or ask the training coordinator about a waiver.",
            "%(required)s are required before %(offering)s: add a session of each that ends "
            "before this one starts, or ask the training coordinator about a waiver.",
            len(labels),
        )
        % {"required": _join(labels), "offering": item.offering_label},
    )


def _prerequisite_labels(*, item: CartItemFacts, missing: Sequence[int]) -> list[str]:
    if len(item.prerequisite_labels) == len(item.prerequisite_ids):
        by_id = dict(zip(sorted(item.prerequisite_ids), item.prerequisite_labels, strict=True))
        return [by_id[offering_id] for offering_id in missing]
    return list(item.prerequisite_labels) or [_("the required trainings")]


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def _enrolment_problems(*, trainee: TraineeFacts, item: CartItemFacts) -> Iterator[Problem]:
    def same_offering(span: SessionSpan) -> bool:
        held_here = item.holds_seat and span.session_id == item.session_id
        return span.offering_id == item.offering_id and not held_here

    paid = next(filter(same_offering, trainee.paid_sessions), None)
    if paid is not None:
        yield _refuse(
            Code.ALREADY_ENROLLED,
            _(
                "You are already registered for %(offering)s (%(when)s). To change dates, use "
                "“Change date” in My trainings."
            )
            % {"offering": item.offering_label, "when": _when(paid)},
        )
    pending = next(filter(same_offering, trainee.pending_sessions), None)
    if pending is not None:
        yield _refuse(
            Code.ALREADY_ENROLLED,
            _(
                "You already hold a seat in %(offering)s (%(when)s), in an unpaid order or a "
                "waitlist offer. Complete or cancel it before choosing another date."
            )
            % {"offering": item.offering_label, "when": _when(pending)},
        )


def _when(span: SessionSpan | CartItemFacts) -> str:
    return format_session_when(span.starts_at, span.ends_at)


def _clash_problems(
    *,
    trainee: TraineeFacts,
    item: CartItemFacts,
    earlier: Sequence[CartItemFacts],
    others: Sequence[CartItemFacts],
) -> Iterator[Problem]:
    first = next((other for other in earlier if other.offering_id == item.offering_id), None)
    if first is not None:
        yield _refuse(
            Code.DUPLICATE_OFFERING,
            _("Your cart already has a session of %(offering)s (%(when)s). Keep only one date.")
            % {"offering": item.offering_label, "when": _when(first)},
        )

    if item.starts_at is None or item.ends_at is None:
        return
    starts_at, ends_at = item.starts_at, item.ends_at

    def overlaps(other_start: datetime | None, other_end: datetime | None) -> bool:
        if other_start is None or other_end is None:
            return False
        return other_start < ends_at and starts_at < other_end

    # Same-offering clashes are told as duplicates or enrolments above, not twice.
    in_cart = next(
        (
            other
            for other in earlier
            if other.offering_id != item.offering_id
            and other.session_status != STATUS_CANCELLED
            and overlaps(other.starts_at, other.ends_at)
        ),
        None,
    )
    if in_cart is not None:
        yield _refuse(
            Code.OVERLAP,
            _("This session overlaps your %(other)s session (%(when)s) in the cart.")
            % {"other": in_cart.offering_label, "when": _when(in_cart)},
        )

    labels = {other.offering_id: other.offering_label for other in others}
    booked = next(
        (
            span
            for span in (*trainee.paid_sessions, *trainee.pending_sessions)
            if span.session_id != item.session_id
            and span.offering_id != item.offering_id
            and overlaps(span.starts_at, span.ends_at)
        ),
        None,
    )
    if booked is not None:
        if booked.offering_id in labels:
            message = _("This session overlaps your %(other)s session (%(when)s).") % {
                "other": labels[booked.offering_id],
                "when": _when(booked),
            }
        else:
            message = _(
                "This session overlaps another session you are registered for (%(when)s)."
            ) % {"when": _when(booked)}
        yield _refuse(Code.OVERLAP, message)


def _needs_notice(*, trainee: TraineeFacts, credit_type: CreditTypeFacts) -> bool:
    return trainee.profession in credit_type.notice_professions and (
        trainee.license_state.strip().upper() != credit_type.board_state.strip().upper()
    )


def _notice_text(credit_type: CreditTypeFacts) -> str:
    return credit_type.out_of_state_notice or _(
        "%(credit_type)s is accepted by the %(state)s board. If you are licensed in another "
        "state, check with your state licensing board before buying it."
    ) % {"credit_type": credit_type.name, "state": credit_type.board_state}


def _complete_profile_for_ce(credit_type: CreditTypeFacts) -> str:
    return _(
        "Please complete your profile (profession or license type, license number and state) "
        "to buy %(credit_type)s: they appear on your CE certificate."
    ) % {"credit_type": credit_type.name}


def _ce_problems(*, trainee: TraineeFacts, item: CartItemFacts) -> Iterator[Problem]:
    credit_type = item.ce
    if credit_type is None:
        return
    if trainee.profession is None:
        yield _refuse(Code.PROFILE_INCOMPLETE, _complete_profile_for_ce(credit_type))
    elif trainee.profession not in credit_type.professions:
        yield _refuse(
            Code.CE_NOT_ALLOWED,
            _(
                "Your license (%(license)s) cannot use %(credit_type)s. You will receive a "
                "Certificate of Attendance for this session."
            )
            % {
                "license": profession_short_label(trainee.profession),
                "credit_type": credit_type.name,
            },
        )
    elif not trainee.profile_complete:
        yield _refuse(Code.PROFILE_INCOMPLETE, _complete_profile_for_ce(credit_type))
    elif (
        _needs_notice(trainee=trainee, credit_type=credit_type) and not item.ce_notice_acknowledged
    ):
        yield _refuse(Code.CE_NOTICE, _notice_text(credit_type))


def _sequence_problems(
    *, trainee: TraineeFacts, item: CartItemFacts, others: Sequence[CartItemFacts]
) -> Iterator[Problem]:
    """Warn when module N >= 3 comes without module N-1 done, paid, held or in the cart.

    Module 2 needs nothing here: its Module 1 is a prerequisite. Without module N-1's offering
    id there is no telling from the trainee's history, so no warning rather than a false one.
    """
    number = item.module_number
    if item.offering_kind != KIND_MODULE or number is None or number < 3:
        return
    previous_id = item.previous_module_offering_id
    if previous_id is None:
        return
    taken = (
        previous_id in trainee.attended_offering_ids
        or any(
            span.offering_id == previous_id
            for span in (*trainee.paid_sessions, *trainee.pending_sessions)
        )
        or any(
            other.offering_id == previous_id
            or (other.offering_kind == KIND_MODULE and other.module_number == number - 1)
            for other in others
        )
    )
    if not taken:
        yield _warn(
            Code.SEQUENCE,
            _(
                "Module %(number)s builds on Module %(previous)s; taking the modules in "
                "sequence is recommended, not required."
            )
            % {"number": number, "previous": number - 1},
        )


def _bundle_problems(
    *,
    items: Sequence[CartItemFacts],
    offering_ids: frozenset[int],
    labels: Mapping[int, str],
) -> Iterator[Problem]:
    if not offering_ids:
        yield _refuse(
            Code.BUNDLE_INCOMPLETE,
            _(
                "This bundle has no trainings to choose dates for. Please contact the training "
                "coordinator."
            ),
        )
        return
    counts = Counter(item.offering_id for item in items)
    cart_labels = {item.offering_id: item.offering_label for item in items}
    ordered = [offering_id for offering_id in labels if offering_id in offering_ids]
    ordered += sorted(offering_ids - set(ordered))
    for offering_id in ordered:
        label = (
            labels.get(offering_id)
            or cart_labels.get(offering_id)
            or _("training no. %(id)s") % {"id": offering_id}
        )
        if counts[offering_id] == 0:
            yield _refuse(
                Code.BUNDLE_INCOMPLETE,
                _("Choose a date for %(offering)s.") % {"offering": label},
            )
        elif counts[offering_id] > 1:
            yield _refuse(
                Code.BUNDLE_EXTRA,
                _("The bundle includes one session of %(offering)s: keep only one date.")
                % {"offering": label},
            )


@dataclass(frozen=True)
class CeOption:
    code: str
    name: str
    allowed: bool
    notice: str  # to show, and have confirmed, before buying; "" when none
    reason: str  # why not, when not allowed


def ce_options(
    *, trainee: TraineeFacts, credit_types: Sequence[CreditTypeFacts]
) -> tuple[CeOption, ...]:
    """Each credit type, and whether this trainee's license lets them buy it."""
    options = []
    for credit_type in credit_types:
        serves = trainee.profession is not None and trainee.profession in credit_type.professions
        if trainee.profession is None:
            reason = _(
                "Please complete your profile with your profession or license type to see "
                "which CE you can buy."
            )
        elif not serves:
            reason = _("Your license (%(license)s) cannot use %(credit_type)s.") % {
                "license": profession_short_label(trainee.profession),
                "credit_type": credit_type.name,
            }
        elif not trainee.profile_complete:
            reason = _complete_profile_for_ce(credit_type)
        else:
            reason = ""
        needs_notice = serves and _needs_notice(trainee=trainee, credit_type=credit_type)
        options.append(
            CeOption(
                code=credit_type.code,
                name=credit_type.name,
                allowed=serves and trainee.profile_complete,
                notice=_notice_text(credit_type) if needs_notice else "",
                reason=reason,
            )
        )
    return tuple(options)


def certificate_only_message(
    *, trainee: TraineeFacts, credit_types: Sequence[CreditTypeFacts]
) -> str | None:
    """For a license no credit type serves: what the trainee receives instead. None otherwise."""
    if trainee.profession is None:
        return None
    if any(trainee.profession in credit_type.professions for credit_type in credit_types):
        return None
    return _(
        "CE is not offered for your license (%(license)s). You will receive a Certificate of "
        "Attendance for every session you attend."
    ) % {"license": profession_short_label(trainee.profession)}


def bundle_impossible_dates(
    *,
    sessions: Sequence[SessionSpan],
    prerequisites: Mapping[int, frozenset[int]],
    labels: Mapping[int, str],
    trainee: TraineeFacts,
) -> dict[int, str]:
    """Session id → why no choice of the other dates can make it acceptable: it starts before
    every date of a prerequisite that the trainee has not yet met (the prerequisite rule above
    would refuse it whatever they pick)."""
    by_offering: dict[int, list[SessionSpan]] = {}
    for span in (*sessions, *trainee.paid_sessions):
        by_offering.setdefault(span.offering_id, []).append(span)
    met = trainee.attended_offering_ids | trainee.waived_offering_ids
    notes = {}
    for span in sessions:
        for required in sorted(prerequisites.get(span.offering_id, frozenset()) - met):
            candidates = by_offering.get(required, [])
            if candidates and not any(c.ends_at <= span.starts_at for c in candidates):
                notes[span.session_id] = _(
                    "Before every %(required)s date: %(required)s is required first."
                ) % {"required": labels.get(required, _("the required training"))}
                break
    return notes


def bundle_date_problems(
    *,
    chosen: Sequence[SessionSpan],
    prerequisites: Mapping[int, frozenset[int]],
    labels: Mapping[int, str],
    trainee: TraineeFacts,
) -> dict[int, str]:
    """Offering id → why its chosen date cannot follow the date chosen for a prerequisite
    (which must end before it starts), unless the trainee has met the prerequisite already."""
    by_offering = {span.offering_id: span for span in chosen}
    met = trainee.attended_offering_ids | trainee.waived_offering_ids
    problems = {}
    for span in chosen:
        for required in sorted(prerequisites.get(span.offering_id, frozenset()) - met):
            first = by_offering.get(required)
            if first is None or first.ends_at <= span.starts_at:
                continue
            if any(
                paid.offering_id == required and paid.ends_at <= span.starts_at
                for paid in trainee.paid_sessions
            ):
                continue
            problems[span.offering_id] = _(
                "%(offering)s on %(date)s starts before your %(required)s date (%(required_date)s) "
                "ends, and %(required)s is required first: choose a later %(offering)s date or an "
                "earlier %(required)s date."
            ) % {
                "offering": labels.get(span.offering_id, ""),
                "date": format_session_date(span.starts_at),
                "required": labels.get(required, _("the required training")),
                "required_date": format_session_date(first.starts_at),
            }
            break
    return problems
