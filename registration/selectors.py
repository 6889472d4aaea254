"""Reads for registration: seats taken, and the plain facts the pure rules and pricing need."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from catalog.formatting import PACIFIC, choice_label
from catalog.models import (
    CreditType,
    Offering,
    OfferingCredit,
    Session,
    SiteSettings,
    seats_taken_q,
)
from catalog.professions import Profession

from . import signals
from .evidence import AttendanceFlags, attendance_flags, flag_texts, reasons_text
from .models import (
    CartItem,
    Enrolment,
    Intake,
    IntakeQuestion,
    Invitation,
    Order,
    PrerequisiteWaiver,
    RosterEntry,
    TraineeProfile,
    WaitlistEntry,
)
from .rules import CartItemFacts, CreditTypeFacts, SessionSpan, TraineeFacts


def profile_of(user) -> TraineeProfile | None:
    try:
        return user.trainee_profile
    except TraineeProfile.DoesNotExist:
        return None


def person_name(user) -> str:
    """What the site and its emails call a person: the legal name of their profile, else
    their account's name; "" when neither is known (then they are greeted without one)."""
    if user is None:
        return ""
    profile = profile_of(user)
    if profile is not None and profile.legal_name:
        return profile.legal_name
    return user.get_full_name()


def user_display(user) -> str:
    """How allauth's pages and messages name the signed-in person ("Signed in as ..."): their
    name, else their whole email address (never the part before the @ alone)."""
    return person_name(user) or user.email


def credit_type_facts(credit_type: CreditType) -> CreditTypeFacts:
    return CreditTypeFacts(
        code=credit_type.code,
        name=credit_type.name,
        professions=frozenset(credit_type.professions),
        board_state=credit_type.board_state,
        notice_professions=frozenset(credit_type.notice_professions),
        out_of_state_notice=credit_type.out_of_state_notice,
    )


def _span(enrolment: Enrolment) -> SessionSpan:
    session = enrolment.session
    return SessionSpan(
        offering_id=session.offering_id,
        session_id=session.pk,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )


def trainee_facts(*, trainee, now: datetime) -> TraineeFacts:
    """What the eligibility rules need to know about a trainee, in a fixed number of queries."""
    profile = profile_of(trainee)
    active = list(
        Enrolment.objects.filter(trainee=trainee)
        .filter(seats_taken_q(now, prefix=""))
        .select_related("session")
    )
    attended = frozenset(
        Enrolment.objects.filter(
            trainee=trainee, attendance=Enrolment.Attendance.ATTENDED
        ).values_list("session__offering_id", flat=True)
    )
    waived = frozenset(
        PrerequisiteWaiver.objects.filter(trainee=trainee).values_list("offering_id", flat=True)
    )
    return TraineeFacts(
        profile_complete=bool(profile and profile.is_complete),
        profession=profile.profession if profile else None,
        license_state=profile.license_state if profile else "",
        attended_offering_ids=attended,
        paid_sessions=tuple(
            _span(e)
            for e in active
            if e.status == Enrolment.Status.CONFIRMED and e.session.is_dated
        ),
        pending_sessions=tuple(
            _span(e) for e in active if e.status == Enrolment.Status.HELD and e.session.is_dated
        ),
        waived_offering_ids=waived,
        intake_approved_until=intake_approved_until(trainee=trainee),
        invited_offering_ids=invited_offering_ids(trainee=trainee),
    )


def cart_items(*, trainee) -> list[CartItem]:
    return list(
        CartItem.objects.filter(trainee=trainee)
        .select_related("session__offering", "credit_type", "bundle")
        .prefetch_related(
            Prefetch("offering__prerequisites", queryset=Offering.objects.all()),
            Prefetch(
                "offering__credits", queryset=OfferingCredit.objects.select_related("credit_type")
            ),
        )
        .order_by("session__starts_at", "added_at", "pk")
    )


def cart_has_items(*, trainee) -> bool:
    return CartItem.objects.filter(trainee=trainee).exists()


def item_facts(
    *,
    session: Session,
    seats_taken: int,
    credit_type: CreditType | None,
    ce_notice_acknowledged: bool,
    holds_seat: bool,
    module_offering_ids: dict[int, int],
) -> CartItemFacts:
    offering = session.offering
    is_module = offering.kind == Offering.Kind.MODULE
    # The rules pair labels with ids in ascending id order.
    prerequisites = sorted(offering.prerequisites.all(), key=lambda p: p.pk)
    return CartItemFacts(
        session_id=session.pk,
        offering_id=offering.pk,
        offering_label=str(offering.label),
        offering_kind=offering.kind,
        module_number=offering.number if is_module else None,
        access_rule=offering.access_rule,
        prerequisite_ids=frozenset(p.pk for p in prerequisites),
        prerequisite_labels=tuple(str(p.label) for p in prerequisites),
        eligible_professions=frozenset(offering.eligible_professions),
        has_price=offering.has_price,
        session_status=session.status,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        seats_left=max(session.capacity - seats_taken, 0),
        registration_opens_at=session.registration_opens_at,
        registration_closes_at=session.registration_closes_at,
        ce=credit_type_facts(credit_type) if credit_type else None,
        ce_notice_acknowledged=ce_notice_acknowledged,
        holds_seat=holds_seat,
        previous_module_offering_id=(
            module_offering_ids.get(offering.number - 1) if is_module and offering.number else None
        ),
    )


def module_offering_ids() -> dict[int, int]:
    """Didactic module number → offering id, for the recommended sequence."""
    return dict(
        Offering.objects.filter(kind=Offering.Kind.MODULE, number__isnull=False).values_list(
            "number", "pk"
        )
    )


def held_offers(*, trainee, now: datetime) -> dict[int, WaitlistEntry]:
    """Waitlist offers the trainee holds a seat with, by session id."""
    entries = WaitlistEntry.objects.filter(
        trainee=trainee,
        status=WaitlistEntry.Status.OFFERED,
        offer_expires_at__gt=now,
    ).select_related("hold")
    return {entry.session_id: entry for entry in entries}


def trainee_orders(*, trainee) -> QuerySet[Order]:
    """The trainee's orders with their enrolments, and what the apps above read of each
    enrolment (signals.enrolments_prefetch: certificates, its valid certificates)."""
    prefix = "lines__enrolments__"
    return (
        Order.objects.filter(trainee=trainee)
        .prefetch_related(
            Prefetch(
                "lines__enrolments",
                queryset=Enrolment.objects.select_related(
                    "session__offering", "credit_type", "evaluation"
                ).order_by("created_at"),
            ),
            *(
                lookup
                for lookups in signals.answers(signals.enrolments_prefetch, prefix=prefix)
                for lookup in lookups
            ),
            "lines__credit_type",
            "refunds",
        )
        .order_by("-created_at")
    )


# --------------------------------------------------------------------------------------
# My trainings: the trainee's sessions, coming and past, each with where it stands
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingState:
    label: str
    tone: str  # how the badge looks: "success", "warning", "info", "secondary"


@dataclass
class TrainingRow:
    enrolment: Enrolment
    order: Order
    states: list[TrainingState]
    # The Zoom link once the trainee may see it (from the day before the session), and
    # from when they will otherwise.
    zoom_url: str = ""
    zoom_from: datetime | None = None
    can_change: bool = False
    evaluation_due: bool = False


@dataclass
class MyTrainings:
    upcoming: list[TrainingRow]
    past: list[TrainingRow]
    orders: list[Order]


def zoom_link_shown_from(session: Session) -> datetime:
    """Enrolled trainees see a session's Zoom link on My trainings from midnight (Pacific
    time) of the day before it."""
    day_before = session.starts_at.astimezone(PACIFIC).date() - timedelta(days=1)
    return datetime.combine(day_before, datetime.min.time(), tzinfo=PACIFIC)


def _evaluation_submitted(enrolment: Enrolment) -> bool:
    try:
        return enrolment.evaluation.submitted_at is not None
    except ObjectDoesNotExist:
        return False


def _past_states(
    enrolment: Enrolment, *, evaluation_due: bool, more: list[TrainingState]
) -> list[TrainingState]:
    Attendance = Enrolment.Attendance
    states = {
        Attendance.ATTENDED: [TrainingState(_("Attended"), "success")],
        Attendance.PARTIAL: [TrainingState(_("Partial attendance"), "warning")],
        Attendance.ABSENT: [TrainingState(_("Absent"), "secondary")],
    }.get(enrolment.attendance, [TrainingState(_("Attendance not recorded yet"), "secondary")])
    states.extend(more)
    if evaluation_due:
        states.append(TrainingState(_("Evaluation due"), "warning"))
    return states


def my_trainings(*, trainee, now: datetime) -> MyTrainings:
    """The trainee's sessions with a seat, coming (soonest first) and past (latest first),
    each with its states; and their orders, for the receipts."""
    orders = list(trainee_orders(trainee=trainee))
    rows = [
        (enrolment, order)
        for order in orders
        for line in order.lines.all()
        for enrolment in line.enrolments.all()
    ]
    # What the apps above add to past trainings' states, asked once for all of them.
    more: dict[int, list[TrainingState]] = {}
    for answer in signals.answers(signals.training_states, enrolments=[e for e, _order in rows]):
        for enrolment_id, states in answer.items():
            more.setdefault(enrolment_id, []).extend(states)
    upcoming, past = [], []
    for enrolment, order in rows:
        row = _training_row(enrolment, order, now=now, more=more.get(enrolment.pk, []))
        if row is None:
            continue
        over = enrolment.session.ends_at is not None and enrolment.session.ends_at <= now
        (past if over else upcoming).append(row)
    far = datetime.max.replace(tzinfo=PACIFIC)
    upcoming.sort(key=lambda row: row.enrolment.session.starts_at or far)
    past.sort(key=lambda row: row.enrolment.session.starts_at, reverse=True)
    return MyTrainings(upcoming=upcoming, past=past, orders=orders)


def _training_row(
    enrolment: Enrolment, order: Order, *, now: datetime, more: list[TrainingState]
) -> TrainingRow | None:
    Status = Enrolment.Status
    session = enrolment.session
    if enrolment.status == Status.HELD and order.status == Order.Status.PENDING:
        return TrainingRow(
            enrolment, order, [TrainingState(enrolment.get_status_display(), "warning")]
        )
    if enrolment.status != Status.CONFIRMED:
        return None
    if session.ends_at is not None and session.ends_at <= now:
        due = enrolment.attendance != Enrolment.Attendance.ABSENT and not _evaluation_submitted(
            enrolment
        )
        return TrainingRow(
            enrolment,
            order,
            _past_states(enrolment, evaluation_due=due, more=more),
            evaluation_due=due,
        )
    row = TrainingRow(
        enrolment,
        order,
        [TrainingState(enrolment.get_status_display(), "success")],
        can_change=session.starts_at is not None and session.starts_at > now,
    )
    if session.zoom_url and session.starts_at is not None:
        shown_from = zoom_link_shown_from(session)
        if now >= shown_from:
            row.zoom_url = session.zoom_url
        else:
            row.zoom_from = shown_from
    return row


def order_for_email(*, order_id: int) -> Order:
    return (
        Order.objects.select_related("trainee__trainee_profile")
        .prefetch_related(
            Prefetch(
                "lines__enrolments",
                queryset=Enrolment.objects.select_related("session__offering", "credit_type"),
            ),
            "lines__credit_type",
            "lines__bundle",
        )
        .get(pk=order_id)
    )


def _count(queryset: QuerySet) -> Subquery:
    """A correlated COUNT(*) subquery on `session`: no row multiplication, one query in all."""
    return Coalesce(
        Subquery(
            queryset.filter(session=OuterRef("pk"))
            .order_by()
            .values("session")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )


def sessions_with_roster_counts(sessions: QuerySet, *, now: datetime) -> QuerySet:
    """Annotate sessions with what the coordinator's sessions list and dashboard show."""
    return sessions.annotate(
        seats_confirmed=_count(Enrolment.objects.filter(status=Enrolment.Status.CONFIRMED)),
        seats_held=_count(
            Enrolment.objects.filter(status=Enrolment.Status.HELD, hold_expires_at__gt=now)
        ),
        waitlist_length=_count(
            WaitlistEntry.objects.filter(
                status__in=(WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)
            )
        ),
        attendance_marked=_count(
            Enrolment.objects.filter(status=Enrolment.Status.CONFIRMED).exclude(
                attendance=Enrolment.Attendance.UNMARKED
            )
        ),
    )


# --------------------------------------------------------------------------------------
# Rosters: who holds a seat in a session, how they paid, when they signed in and out
# --------------------------------------------------------------------------------------


def roster_entries(*, now: datetime, session_id: int | None = None) -> QuerySet[RosterEntry]:
    """Seat-holding enrolments (confirmed, or held and unpaid), by legal name, with everything
    a roster row shows in the same query."""
    entries = RosterEntry.objects.filter(seats_taken_q(now, prefix="")).select_related(
        "trainee__trainee_profile", "session__offering", "credit_type", "order_line__order"
    )
    if session_id is not None:
        entries = entries.filter(session_id=session_id)
    return entries.order_by("trainee__trainee_profile__legal_name", "trainee__email", "pk")


def roster_sessions(*, now: datetime, days_back: int = 30, limit: int = 40) -> list[Session]:
    """Sessions whose roster the coordinator is likely to want: recent and upcoming ones."""
    return list(
        Session.objects.filter(
            status=Session.Status.SCHEDULED, ends_at__gte=now - timedelta(days=days_back)
        )
        .select_related("offering")
        .with_seats_taken(now)
        .order_by("starts_at", "pk")[:limit]
    )


def enrolment_flags(enrolment: Enrolment, *, grace_minutes: int, now: datetime) -> AttendanceFlags:
    """What the enrolment's sign-in, sign-out and Zoom report say against attendance in full
    (its session and offering are read from it: select them with it)."""
    session = enrolment.session
    return attendance_flags(
        signed_in_at=enrolment.signed_in_at,
        signed_out_at=enrolment.signed_out_at,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        grace_minutes=grace_minutes,
        zoom_connected_minutes=enrolment.zoom_connected_minutes,
        zoom_minimum_percent=session.offering.zoom_minimum_percent,
        now=now,
    )


def attendance_shortfall(enrolment: Enrolment, *, now: datetime) -> str:
    """What keeps the enrolment from attendance in full, in words: "left early at 12:00 PM
    (session ends 5:00 PM)"; empty when nothing in its times or Zoom report does (a trainee
    the coordinator marked partial on other grounds)."""
    grace = SiteSettings.current().attendance_grace_minutes
    return reasons_text(enrolment_flags(enrolment, grace_minutes=grace, now=now).reasons)


def trainee_name(enrolment: Enrolment) -> str:
    """The legal name for certificates, else what the account says."""
    return user_display(enrolment.trainee)


def _name(legal_name: str | None, full_name: str, email: str) -> str:
    """trainee_name's choice, from values already read (the roster's one query)."""
    return legal_name or full_name or email


def profession_short(code: str) -> str:
    """A license type short enough for a column: "LMFT", "RN", "Psychologist"."""
    if not code:
        return ""
    if code in (Profession.PSYCHOLOGIST, Profession.OTHER):
        return str(Profession(code).label).split(" (")[0]
    return code.upper()


def payment_status(enrolment: Enrolment) -> str:
    """How the seat is paid for: "Paid · Card (Stripe)", "Complimentary", "Unpaid (…)"."""
    order = enrolment.order_line.order if enrolment.order_line_id else None
    return _payment_text(
        status=enrolment.status,
        hold_expires_at=enrolment.hold_expires_at,
        method=order.payment_method if order else None,
        order_status=order.status if order else None,
        total_cents=order.total_cents if order else 0,
        refunded_cents=order.refunded_cents if order else 0,
    )


def _payment_text(
    *,
    status: str,
    hold_expires_at: datetime | None,
    method: str | None,
    order_status: str | None,
    total_cents: int,
    refunded_cents: int,
) -> str:
    if status == Enrolment.Status.HELD:
        until = hold_expires_at.astimezone(PACIFIC).strftime("%b %-d")
        how = f", {choice_label(Order.Method, method).lower()}" if method is not None else ""
        return f"Unpaid (held until {until}{how})"
    if method is None:
        return "Confirmed, no order"
    if method == Order.Method.COMPLIMENTARY or total_cents == 0:
        return "Complimentary"
    if order_status == Order.Status.PAID:
        refunded = ", partly refunded" if refunded_cents else ""
        return f"Paid · {choice_label(Order.Method, method)}{refunded}"
    return choice_label(Order.Status, order_status)


@dataclass(slots=True)
class RosterRow:
    """One line of a roster, as the admin's table, the CSV export and the sign-in sheet show
    it."""

    enrolment_id: int
    legal_name: str  # the legal name, else the account's name or email (trainee_name)
    credentials: str
    email: str
    has_profile: bool
    profession: str
    profession_short: str
    license_number: str
    license_state: str
    credit_type: str
    held: bool
    payment: str
    order_code: str
    signed_in_at: datetime | None
    signed_out_at: datetime | None
    attendance: str
    attendance_value: str
    late: bool
    left_early: bool
    zoom_connected_minutes: int | None
    flags: tuple[str, ...]  # in words: "left early at 12:00 PM (session ends 5:00 PM)"
    flag_labels: tuple[str, ...]  # for a narrow column: "left early"
    override_reason: str
    # The profile's legal name as typed (blank when there is none or no profile): how the
    # admin names the entry, e.g. in the label of its checkbox.
    profile_legal_name: str

    @property
    def pk(self) -> int:
        """The enrolment's key, as the admin's change list reads its rows' (cl.result_list)."""
        return self.enrolment_id


# What a roster row reads, in one query of plain values (in this order): instantiating the six
# models of a row for a roster of 500 took longer than the rest of the page.
_ROSTER_VALUES = (
    "pk",
    "status",
    "hold_expires_at",
    "signed_in_at",
    "signed_out_at",
    "attendance",
    "override_reason",
    "zoom_connected_minutes",
    "trainee__email",
    "trainee__first_name",
    "trainee__last_name",
    "trainee__trainee_profile__legal_name",
    "trainee__trainee_profile__credentials",
    "trainee__trainee_profile__profession",
    "trainee__trainee_profile__license_number",
    "trainee__trainee_profile__license_state",
    "credit_type__name",
    "order_line__order__code",
    "order_line__order__payment_method",
    "order_line__order__status",
    "order_line__order__total_cents",
    "order_line__order__refunded_cents",
)


def roster_table(
    entries: QuerySet[RosterEntry], *, session: Session, grace_minutes: int, now: datetime
) -> list[RosterRow]:
    """The rows of `entries` (a queryset of roster_entries of `session`, its offering
    selected with it), in its order, in one query."""
    starts_at, ends_at = session.starts_at, session.ends_at
    zoom_minimum_percent = session.offering.zoom_minimum_percent
    attendance_labels = {value: str(label) for value, label in Enrolment.Attendance.choices}
    texts = flag_texts()
    # Rows share a few professions and ways of paying: each text is made (and translated)
    # once per table.
    professions: dict[str, tuple[str, str]] = {}
    payments: dict[tuple, str] = {}
    rows = []
    for (
        pk,
        status,
        hold_expires_at,
        signed_in_at,
        signed_out_at,
        attendance,
        override_reason,
        zoom_minutes,
        email,
        first_name,
        last_name,
        legal_name,
        credentials,
        profession,
        license_number,
        license_state,
        credit_type,
        order_code,
        method,
        order_status,
        total_cents,
        refunded_cents,
    ) in entries.values_list(*_ROSTER_VALUES):
        flags = attendance_flags(
            signed_in_at=signed_in_at,
            signed_out_at=signed_out_at,
            starts_at=starts_at,
            ends_at=ends_at,
            grace_minutes=grace_minutes,
            zoom_connected_minutes=zoom_minutes,
            zoom_minimum_percent=zoom_minimum_percent,
            now=now,
            texts=texts,
        )
        profession = profession or ""
        if profession not in professions:
            label = dict(Profession.choices).get(profession, profession)
            professions[profession] = (str(label), profession_short(profession))
        paid = (
            status,
            hold_expires_at,
            method,
            order_status,
            total_cents or 0,
            refunded_cents or 0,
        )
        if paid not in payments:
            payments[paid] = _payment_text(
                status=status,
                hold_expires_at=hold_expires_at,
                method=method,
                order_status=order_status,
                total_cents=total_cents or 0,
                refunded_cents=refunded_cents or 0,
            )
        rows.append(
            RosterRow(
                enrolment_id=pk,
                legal_name=_name(legal_name, f"{first_name} {last_name}".strip(), email),
                credentials=credentials or "",
                email=email,
                has_profile=legal_name is not None,  # a required column: None is no profile
                profession=professions[profession][0],
                profession_short=professions[profession][1],
                license_number=license_number or "",
                license_state=license_state or "",
                credit_type=credit_type or "",
                held=status == Enrolment.Status.HELD,
                payment=payments[paid],
                order_code=order_code or "",
                signed_in_at=signed_in_at,
                signed_out_at=signed_out_at,
                attendance=attendance_labels.get(attendance, attendance),
                attendance_value=attendance,
                late=flags.late,
                left_early=flags.left_early,
                zoom_connected_minutes=zoom_minutes,
                flags=flags.reasons,
                flag_labels=flags.labels,
                override_reason=override_reason,
                profile_legal_name=legal_name or "",
            )
        )
    return rows


def roster_rows(
    *,
    session: Session,
    now: datetime,
    grace_minutes: int,
    enrolment_ids: Iterable[int] | None = None,
) -> list[RosterRow]:
    """The session's roster (or the chosen entries of it), in roster order, in one query."""
    entries = roster_entries(now=now, session_id=session.pk)
    if enrolment_ids is not None:
        entries = entries.filter(pk__in=list(enrolment_ids))
    return roster_table(entries, session=session, grace_minutes=grace_minutes, now=now)


# --------------------------------------------------------------------------------------
# Gated offerings: invitations, intake, interest lists
# --------------------------------------------------------------------------------------


def invited_offering_ids(*, trainee) -> frozenset[int]:
    """Offerings the trainee accepted an invitation to, unrevoked and not yet consumed: an
    invitation is consumed by a paid order of the trainee's that contains its offering,
    placed after the invitation was accepted."""
    if not trainee.pk:
        return frozenset()
    consumed = Enrolment.objects.filter(
        trainee=trainee,
        session__offering_id=OuterRef("offering_id"),
        order_line__order__status=Order.Status.PAID,
        order_line__order__created_at__gte=OuterRef("used_at"),
    )
    return frozenset(
        Invitation.objects.filter(trainee=trainee, used_at__isnull=False, revoked_at__isnull=True)
        .exclude(Exists(consumed))
        .values_list("offering_id", flat=True)
    )


def intake_approved_until(*, trainee) -> datetime | None:
    """Until when the trainee's approved intake lets them register for the experiential."""
    if not trainee.pk:
        return None
    return (
        Intake.objects.filter(trainee=trainee, status=Intake.Status.APPROVED)
        .order_by("-approved_until")
        .values_list("approved_until", flat=True)
        .first()
    )


def intake_current(*, trainee) -> Intake | None:
    """The trainee's latest intake, whatever its status."""
    return Intake.objects.filter(trainee=trainee).order_by("-submitted_at", "-pk").first()


def intake_questions() -> list[IntakeQuestion]:
    return list(IntakeQuestion.objects.filter(active=True).order_by("position", "pk"))


# --------------------------------------------------------------------------------------
# Closing an account
# --------------------------------------------------------------------------------------


def registrations_not_over(*, trainee, now: datetime) -> QuerySet[Enrolment]:
    """Confirmed registrations whose session has not ended. An account cannot be closed
    while it has any: the center would have no way left to reach the trainee about them."""
    return (
        Enrolment.objects.filter(trainee=trainee, status=Enrolment.Status.CONFIRMED)
        .filter(Q(session__ends_at__gt=now) | Q(session__ends_at__isnull=True))
        .select_related("session__offering")
        .order_by("session__starts_at", "pk")
    )


@dataclass(frozen=True)
class AccountClosureSummary:
    """What the "Close my account" page tells the trainee before they confirm."""

    registrations_not_over: list[Enrolment]
    pending_orders: list[Order]
    # Valid certificates, to download while the trainee still can sign in (as certificates
    # answers: signals.account_closure_downloads).
    certificates: list

    @property
    def can_close(self) -> bool:
        return not self.registrations_not_over


def account_closure_summary(*, trainee, now: datetime) -> AccountClosureSummary:
    return AccountClosureSummary(
        registrations_not_over=list(registrations_not_over(trainee=trainee, now=now)),
        pending_orders=list(
            Order.objects.filter(trainee=trainee, status=Order.Status.PENDING).order_by("pk")
        ),
        certificates=[
            document
            for documents in signals.answers(signals.account_closure_downloads, trainee=trainee)
            for document in documents
        ],
    )
