"""Reads for certificates: a certificate by its verification code, a trainee's CE record, and
what registration's pages show of certificates (see certificates.receivers)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from catalog.models import Session
from registration.models import Enrolment

from .models import CODE_ALPHABET, Certificate

# Certificates are due within 90 days of the course (BRN 16 CCR §1458(c)); warn at 60.
OVERDUE_AFTER = timedelta(days=60)


def normalize_code(code: str) -> str:
    """A verification code as people type it (lower case, spaces, dashes) in its stored form."""
    return "".join(c for c in code.upper() if c.isalnum())


def code_is_well_formed(code: str) -> bool:
    return 0 < len(code) <= 32 and all(c in CODE_ALPHABET for c in code)


def certificate_by_code(*, code: str) -> Certificate | None:
    code = normalize_code(code)
    if not code_is_well_formed(code):
        return None
    return (
        Certificate.objects.select_related("credit_type", "superseded_by").filter(code=code).first()
    )


def current_version(certificate: Certificate) -> Certificate:
    """The latest version of a superseded certificate (itself if it is not superseded)."""
    seen = {certificate.pk}
    while True:
        try:
            newer = certificate.superseded_by
        except Certificate.DoesNotExist:
            return certificate
        if newer.pk in seen:
            return certificate
        seen.add(newer.pk)
        certificate = newer


def certificate_for_download(*, code: str, user) -> Certificate | None:
    """The certificate if this user may download it: the trainee their own valid ones, staff
    with the view permission any of them; None for everyone else."""
    certificate = certificate_by_code(code=code)
    if certificate is None or not user.is_authenticated:
        return None
    if user.has_perm("certificates.view_certificate"):
        return certificate
    if certificate.trainee_id == user.pk and certificate.status == Certificate.Status.VALID:
        return certificate
    return None


def trainee_ce_certificates(*, trainee) -> QuerySet[Certificate]:
    """The trainee's valid CE certificates, oldest session first: their transcript."""
    return (
        Certificate.objects.filter(
            trainee=trainee, kind=Certificate.Kind.CE, status=Certificate.Status.VALID
        )
        .select_related("credit_type", "enrolment__session")
        .order_by("enrolment__session__starts_at", "pk")
    )


def transcript_name(*, certificates: list[Certificate], fallback: str) -> str:
    """The name a CE transcript is headed with: the one the latest certificate version
    carries (a correction included), not the profile's, which the trainee may have changed
    since; `fallback` when there is no certificate yet."""
    if not certificates:
        return fallback
    return max(certificates, key=lambda c: (c.issued_at, c.pk)).display_name


def trainee_has_ce_certificates(*, trainee) -> bool:
    return trainee_ce_certificates(trainee=trainee).exists()


def valid_certificates() -> QuerySet[Certificate]:
    """For prefetching on enrolments: the certificates a trainee can download."""
    return (
        Certificate.objects.filter(status=Certificate.Status.VALID)
        .select_related("credit_type")
        .order_by("kind", "pk")
    )


def trainee_certificates(*, trainee) -> list[Certificate]:
    """The trainee's valid certificates, oldest session first (to download before closing
    their account)."""
    return list(
        valid_certificates()
        .filter(trainee=trainee)
        .select_related("enrolment__session")
        .order_by("enrolment__session__starts_at", "kind", "pk")
    )


def enrolments_certified(*, enrolments: Iterable[Enrolment]) -> set[int]:
    """Which of these enrolments hold a valid certificate."""
    return set(
        Certificate.objects.filter(
            enrolment__in=list(enrolments), status=Certificate.Status.VALID
        ).values_list("enrolment_id", flat=True)
    )


def certificates_issued_count() -> Coalesce:
    """For annotating sessions: how many valid Certificates of Attendance their enrolments
    hold (one correlated subquery, no row multiplication)."""
    return Coalesce(
        Subquery(
            Certificate.objects.filter(
                enrolment__session=OuterRef("pk"),
                kind=Certificate.Kind.ATTENDANCE,
                status=Certificate.Status.VALID,
            )
            .order_by()
            .values("enrolment__session")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )


@dataclass(frozen=True)
class DashboardCertificates:
    """The dashboard's certificate panels: sessions with certificates overdue (each with
    `overdue`, how many), their number in all, and the CE credits issued in the season."""

    overdue_sessions: list[Session]
    overdue_count: int
    ce_issued: list[dict]


def dashboard_certificates(*, now: datetime, season: int) -> DashboardCertificates:
    # Attended in full, the session over for 60 days, and still no valid certificate.
    overdue = Enrolment.objects.filter(
        attendance=Enrolment.Attendance.ATTENDED,
        session__ends_at__lte=now - OVERDUE_AFTER,
    ).exclude(
        certificates__kind=Certificate.Kind.ATTENDANCE,
        certificates__status=Certificate.Status.VALID,
    )
    overdue_sessions = list(
        Session.objects.filter(pk__in=overdue.values("session_id"))
        .select_related("offering")
        .annotate(overdue=Count("enrolments", filter=Q(enrolments__in=overdue)))
        .order_by("starts_at")[:20]
    )
    ce_issued = list(
        Certificate.objects.filter(
            kind=Certificate.Kind.CE,
            status=Certificate.Status.VALID,
            enrolment__session__starts_at__year=season,
        )
        .values("credit_type__name", "credit_type__unit")
        .annotate(certificates=Count("pk"), credits=Sum("credits"))
        .order_by("credit_type__name")
    )
    return DashboardCertificates(
        overdue_sessions=overdue_sessions, overdue_count=overdue.count(), ce_issued=ce_issued
    )
