"""The calendar entry a trainee keeps for each registration: one identity from the order to a
transfer or a cancellation, so their calendar updates the entry instead of adding another."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from catalog.ics import registration_calendar
from catalog.models import SiteSettings

from ..models import Enrolment


def registration_uid(enrolment: Enrolment) -> str:
    """Transfers keep the order line (a transfer makes a new enrolment on the same line)."""
    if enrolment.order_line_id:
        return f"registration-{enrolment.order_line_id}@polaris-trainings"
    return f"enrolment-{enrolment.pk}@polaris-trainings"


def _sequence(enrolment: Enrolment) -> int:
    """How many times this registration was transferred before reaching this enrolment."""
    if not enrolment.order_line_id:
        return 0
    return Enrolment.objects.filter(
        order_line_id=enrolment.order_line_id, pk__lt=enrolment.pk
    ).count()


def registration_ics(*, enrolment: Enrolment, now: datetime, cancelled: bool = False) -> bytes:
    """The entry for the enrolment's session; when cancelled, the message that removes it."""
    site = SiteSettings.current()
    sequence = _sequence(enrolment) + (1 if cancelled else 0)
    return registration_calendar(
        enrolment.session,
        uid=registration_uid(enrolment),
        sequence=sequence,
        cancelled=cancelled,
        organizer_email=site.coordinator_email or _address(settings.DEFAULT_FROM_EMAIL),
        attendee_email=enrolment.trainee.email,
        base_url=settings.SITE_URL,
        now=now,
        zoom_url="" if cancelled else enrolment.session.zoom_url,
    )


def registration_ics_name(enrolment: Enrolment) -> str:
    day = timezone.localtime(enrolment.session.starts_at).date().isoformat()
    return f"{enrolment.session.offering.slug}-{day}.ics"


def _address(from_email: str) -> str:
    """ "Name <address>" → address."""
    return from_email.rpartition("<")[2].rstrip(">").strip()
