"""Reads about registrations that other apps need: how many seats a session has taken."""

from datetime import datetime

from django.db.models import Count, Q

from .models import Enrolment


def seats_taken_q(now: datetime, prefix: str = "enrolments__") -> Q:
    """Enrolments that occupy a seat: confirmed, or held and not yet expired."""
    return Q(**{f"{prefix}status": Enrolment.Status.CONFIRMED}) | Q(
        **{f"{prefix}status": Enrolment.Status.HELD, f"{prefix}hold_expires_at__gt": now}
    )


def seats_taken_count(now: datetime) -> Count:
    """An annotation for a Session queryset: the seats its enrolments occupy."""
    return Count("enrolments", filter=seats_taken_q(now))


def session_seats_taken(*, session_id: int, now: datetime) -> int:
    return Enrolment.objects.filter(seats_taken_q(now, prefix=""), session_id=session_id).count()
