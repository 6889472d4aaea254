"""What the coordinator sees first in the admin: a fixed handful of queries, whatever the data."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, Sum

from catalog.models import Offering, Session
from catalog.selectors import BlockedCreditType, credit_types_blocked

from .models import Enrolment, Order, OrderLine
from .selectors import sessions_with_roster_counts

# Certificates are due within 90 days of the course (BRN 16 CCR §1458(c)); warn at 60.
OVERDUE_AFTER = timedelta(days=60)


@dataclass(frozen=True)
class OfferingRevenue:
    offering: str
    orders: int
    revenue_cents: int


@dataclass(frozen=True)
class Dashboard:
    season: int
    certificates_blocked: list[BlockedCreditType]
    upcoming: list[Session]
    offline_pending: list[Order]
    flagged: list[Order]
    overdue_sessions: list[Session]
    overdue_count: int
    revenue: list[OfferingRevenue]
    revenue_total_cents: int
    ce_issued: list[dict]


def default_season(*, now: datetime) -> int:
    """The year of the next session, or this year when none is scheduled."""
    next_start = (
        Session.objects.filter(starts_at__gt=now, status=Session.Status.SCHEDULED)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return (next_start or now).year


def dashboard(*, now: datetime, season: int) -> Dashboard:
    from certificates.models import Certificate

    upcoming = list(
        sessions_with_roster_counts(
            Session.objects.filter(starts_at__gt=now, status=Session.Status.SCHEDULED)
            .select_related("offering")
            .order_by("starts_at")[:12],
            now=now,
        )
    )
    offline_pending = list(
        Order.objects.filter(status=Order.Status.PENDING, payment_method=Order.Method.OFFLINE)
        .select_related("trainee")
        .order_by("expires_at")[:20]
    )
    flagged = list(
        Order.objects.exclude(flagged_reason="")
        .select_related("trainee")
        .order_by("-created_at")[:20]
    )
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
    revenue_rows = (
        OrderLine.objects.filter(order__status=Order.Status.PAID, session__starts_at__year=season)
        .values("offering_id")
        .annotate(
            orders=Count("order", distinct=True),
            revenue=Sum(
                F("tuition_cents") + F("admin_fee_cents") + F("ce_fee_cents") - F("refunded_cents")
            ),
        )
    )
    labels = {o.pk: o.display_title for o in Offering.objects.all()}
    revenue = sorted(
        (
            OfferingRevenue(
                offering=labels.get(row["offering_id"], ""),
                orders=row["orders"],
                revenue_cents=row["revenue"] or 0,
            )
            for row in revenue_rows
        ),
        key=lambda r: -r.revenue_cents,
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
    return Dashboard(
        season=season,
        certificates_blocked=credit_types_blocked(),
        upcoming=upcoming,
        offline_pending=offline_pending,
        flagged=flagged,
        overdue_sessions=overdue_sessions,
        overdue_count=overdue.count(),
        revenue=revenue,
        revenue_total_cents=sum(r.revenue_cents for r in revenue),
        ce_issued=ce_issued,
    )
