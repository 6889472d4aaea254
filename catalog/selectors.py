"""Reads for the public catalog pages: a fixed number of queries, whatever the catalog's size."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .certificate_items import PROVIDER_FIELDS, CertificateItem, items_missing_text
from .models import (
    Bundle,
    CreditType,
    Instructor,
    LearningObjective,
    Offering,
    OfferingCredit,
    Session,
)

Kind = Offering.Kind


@dataclass(frozen=True)
class CatalogGroup:
    key: str
    title: str
    intro: str
    kinds: tuple[str, ...]


# The home page's groups, in the order the center presents its trainings.
CATALOG_GROUPS = (
    CatalogGroup(
        "didactic",
        _("Didactic modules"),
        _(
            "Seven modules of eight training hours each. Module 1 is required first; "
            "taking the others in sequence is recommended, not mandatory."
        ),
        (Kind.MODULE,),
    ),
    CatalogGroup(
        "specialty",
        _("Music and medical modules"),
        _("Building playlists for sessions, and the medical side of ketamine therapy."),
        (Kind.MUSIC, Kind.MEDICAL),
    ),
    CatalogGroup(
        "experiential",
        _("Experiential training"),
        _("A small-group KAP experience, and shadowing our clinicians in practice."),
        (Kind.EXPERIENTIAL, Kind.PRACTICUM),
    ),
    CatalogGroup(
        "residential",
        _("Residential training"),
        _("Intensive didactic and experiential training over several days."),
        (Kind.RESIDENTIAL,),
    ),
)


def upcoming_sessions_q(now: datetime, prefix: str = "") -> Q:
    """Sessions a visitor can still look forward to: scheduled and not yet started."""
    return Q(**{f"{prefix}status": Session.Status.SCHEDULED, f"{prefix}starts_at__gt": now})


def _upcoming_sessions(now: datetime) -> QuerySet[Session]:
    return (
        Session.objects.filter(upcoming_sessions_q(now))
        .with_seats_taken(now)
        .order_by("starts_at", "pk")
    )


def _credits() -> QuerySet[OfferingCredit]:
    return OfferingCredit.objects.select_related("credit_type").order_by(
        "credit_type__sort_order", "credit_type__name"
    )


def published_offerings() -> QuerySet[Offering]:
    return Offering.objects.filter(is_published=True)


def catalog_groups(*, now: datetime) -> list[tuple[CatalogGroup, list[Offering]]]:
    """Every published offering, grouped for the home page, with upcoming sessions and CE."""
    offerings = list(
        published_offerings().prefetch_related(
            Prefetch("sessions", queryset=_upcoming_sessions(now), to_attr="upcoming_sessions"),
            Prefetch("credits", queryset=_credits()),
        )
    )
    for offering in offerings:
        # Every coming date is full: the card says so, and offers the waitlists.
        offering.sold_out = bool(offering.upcoming_sessions) and not any(
            session.seats_left for session in offering.upcoming_sessions
        )
    return [(group, [o for o in offerings if o.kind in group.kinds]) for group in CATALOG_GROUPS]


def offering_detail(*, slug: str, now: datetime) -> Offering:
    """One offering with everything its page shows; raises Http404 if unknown or unpublished."""
    try:
        return (
            published_offerings()
            .prefetch_related(
                Prefetch("objectives", queryset=LearningObjective.objects.order_by("position")),
                Prefetch("instructors", queryset=Instructor.objects.order_by("sort_order", "name")),
                Prefetch("credits", queryset=_credits()),
                Prefetch("prerequisites", queryset=published_offerings()),
                Prefetch(
                    "sessions",
                    queryset=Session.objects.filter(
                        Q(status=Session.Status.TBA) | Q(ends_at__gt=now)
                    )
                    .with_seats_taken(now)
                    .order_by("starts_at", "pk"),
                    to_attr="listed_sessions",
                ),
                Prefetch("bundles", queryset=Bundle.objects.filter(is_published=True)),
            )
            .get(slug=slug)
        )
    except Offering.DoesNotExist:
        raise Http404(_("No training matches that address.")) from None


def offering_takes_interest(offering: Offering) -> bool:
    """Whether the page invites visitors onto the interest list: dates are to be announced,
    or no dated session is coming. Needs the offering from `offering_detail`."""
    if offering.access_rule == Offering.Access.ANNOUNCE:
        return True
    return not any(
        s.status == Session.Status.SCHEDULED and s.is_dated for s in offering.listed_sessions
    )


def module_sequence() -> list[Offering]:
    """The didactic modules in their recommended order."""
    return list(published_offerings().filter(kind=Kind.MODULE).order_by("number"))


def bundle_detail(*, slug: str, now: datetime) -> Bundle:
    try:
        return (
            Bundle.objects.filter(is_published=True)
            .prefetch_related(
                Prefetch(
                    "offerings",
                    queryset=Offering.objects.order_by("number", "sort_order").prefetch_related(
                        Prefetch(
                            "sessions",
                            queryset=_upcoming_sessions(now),
                            to_attr="upcoming_sessions",
                        )
                    ),
                )
            )
            .get(slug=slug)
        )
    except Bundle.DoesNotExist:
        raise Http404(_("No training matches that address.")) from None


def published_bundles() -> list[Bundle]:
    return list(Bundle.objects.filter(is_published=True).prefetch_related("offerings"))


def bundle_a_la_carte_cents(bundle: Bundle) -> int | None:
    """What the bundle's offerings cost one by one (tuition + fees); None if one has no price."""
    totals = [offering.total_cents for offering in bundle.offerings.all()]
    return None if None in totals else sum(totals)


def instructors() -> list[Instructor]:
    return list(
        Instructor.objects.prefetch_related(
            Prefetch("offerings", queryset=published_offerings().order_by("sort_order"))
        )
    )


def instructor_detail(*, slug: str) -> Instructor:
    try:
        return Instructor.objects.prefetch_related(
            Prefetch("offerings", queryset=published_offerings().order_by("sort_order"))
        ).get(slug=slug)
    except Instructor.DoesNotExist:
        raise Http404(_("No instructor matches that address.")) from None


def calendar_sessions(*, now: datetime, kind: str = "", delivery: str = "") -> list[Session]:
    """Upcoming scheduled sessions across the catalog, optionally filtered."""
    sessions = (
        _upcoming_sessions(now).filter(offering__is_published=True).select_related("offering")
    )
    if kind:
        sessions = sessions.filter(offering__kind=kind)
    if delivery:
        sessions = sessions.filter(offering__delivery=delivery)
    return list(sessions)


def session_for_calendar(*, pk: int) -> Session:
    try:
        return Session.objects.select_related("offering").get(
            pk=pk, offering__is_published=True, status=Session.Status.SCHEDULED
        )
    except Session.DoesNotExist:
        raise Http404(_("No session matches that address.")) from None


# --------------------------------------------------------------------------------------
# What keeps a credit type's certificates from being issued
# --------------------------------------------------------------------------------------


def credit_type_missing_items(credit_type: CreditType) -> list[CertificateItem]:
    """The provider's items the credit type requires and lacks, in the order it lists them:
    an empty field, or a signature image whose file is gone."""
    missing = []
    for item in credit_type.required_items:
        field = PROVIDER_FIELDS.get(item)
        if field is None:
            continue
        value = getattr(credit_type, field)
        if isinstance(value, FieldFile):
            present = bool(value) and value.storage.exists(value.name)
        else:
            present = bool(str(value).strip())
        if not present:
            missing.append(item)
    return missing


def credit_type_blocks(credit_type: CreditType) -> list[str]:
    """Why no certificate of this credit type can be issued now, whoever it is for:
    "provider address missing", "provider number CEP16887 marked expired"; empty if none."""
    missing = credit_type_missing_items(credit_type)
    reasons = [items_missing_text(missing, unit=credit_type.unit)] if missing else []
    if credit_type.expired:
        reasons.append(
            gettext("provider number %(number)s marked expired")
            % {"number": credit_type.provider_number}
            if credit_type.provider_number
            else gettext("marked expired")
        )
    return reasons


@dataclass(frozen=True)
class BlockedCreditType:
    credit_type: CreditType
    reasons: list[str]

    @property
    def message(self) -> str:
        """ "BRN certificates blocked: provider address missing, signature missing"."""
        return gettext("%(name)s certificates blocked: %(reasons)s") % {
            "name": self.credit_type.short_name,
            "reasons": ", ".join(self.reasons),
        }


def credit_types_blocked() -> list[BlockedCreditType]:
    """Credit types whose certificates can't be issued now, with the reasons: what the
    coordinator must see before anyone tries to issue."""
    blocked = []
    for credit_type in CreditType.objects.order_by("sort_order", "name"):
        reasons = credit_type_blocks(credit_type)
        if reasons:
            blocked.append(BlockedCreditType(credit_type, reasons))
    return blocked
