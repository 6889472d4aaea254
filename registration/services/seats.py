"""The one place that takes seat locks.

Sessions are locked with SELECT … FOR UPDATE in primary-key order (so two transactions
never wait on each other crosswise), and availability is read only after the lock.
"""

from collections.abc import Iterable
from datetime import datetime

from catalog.cache import catalog_changed
from catalog.models import Session


def sessions_lock(session_ids: Iterable[int]) -> dict[int, Session]:
    """Lock the sessions' rows until the transaction ends; must run inside one."""
    ids = sorted(set(session_ids))
    locked = Session.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {session.pk: session for session in locked}


def seats_left_locked(sessions: dict[int, Session], *, now: datetime) -> dict[int, int]:
    """Seats left per locked session, read after the lock was taken."""
    taken = Session.objects.seats_taken_by_id(session_ids=sessions, now=now)
    return {pk: max(s.capacity - taken.get(pk, 0), 0) for pk, s in sessions.items()}


def seats_changed() -> None:
    """Seats left are shown on cached catalog pages: refresh them."""
    catalog_changed()
