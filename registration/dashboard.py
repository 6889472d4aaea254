"""What the coordinator sees first in the admin: a fixed handful of queries, whatever the data.
Shown on the admin's index page (polaris.admin), which registration's AppConfig.ready()
hands `dashboard_shown`; the apps above add their panels (signals.dashboard_panels)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Sum
from django.http import HttpRequest
from django.utils import timezone

from catalog.models import Offering, Session
from catalog.selectors import BlockedCreditType, credit_types_blocked

from . import signals
from .models import Order, OrderLine
from .selectors import sessions_with_roster_counts


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
    revenue: list[OfferingRevenue]
    revenue_total_cents: int
    # What the apps above show, by name (signals.dashboard_panels).
    panels: dict = field(default_factory=dict)


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
    panels = {}
    for more in signals.answers(signals.dashboard_panels, now=now, season=season):
        panels.update(more)
    return Dashboard(
        season=season,
        certificates_blocked=credit_types_blocked(),
        upcoming=upcoming,
        offline_pending=offline_pending,
        flagged=flagged,
        revenue=revenue,
        revenue_total_cents=sum(r.revenue_cents for r in revenue),
        panels=panels,
    )


def dashboard_shown(request: HttpRequest) -> Dashboard | None:
    """The dashboard of the season the request asks for (the next session's by default), for
    those who may read orders; None for everyone else."""
    if not request.user.has_perm("registration.view_order"):
        return None
    now = timezone.now()
    try:
        season = int(request.GET.get("season", ""))
    except ValueError:
        season = default_season(now=now)
    if not 2000 <= season <= 2100:
        season = default_season(now=now)
    return dashboard(now=now, season=season)
