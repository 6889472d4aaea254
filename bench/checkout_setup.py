"""The checkout benchmark's database side: trainees signed in, sessions to buy, the audit.

Run by bench/checkout.py in the bench environment (against its scratch database, after
`migrate` and `load_catalog`), as

    python -m bench.checkout_setup setup TRAINEES RACERS RACE_CAPACITY
    python -m bench.checkout_setup audit RACE_SESSION_ID SESSION_ID...

Each prints one JSON object on the last line of stdout.

`setup` creates trainees with complete profiles (psychologists licensed in California),
each with a signed-in Django session whose key the HTTP clients send as their `sessionid`
cookie, so no client goes through the login form; and sessions of offerings anyone may
take (no prerequisite, open access, no profession restriction): a few with room for
every order of the throughput phases, and one small one the racers fight over.

`audit` counts, straight from the tables, the seats each session's enrolments occupy
(confirmed, or held and not yet expired) against its capacity.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from importlib import import_module
from typing import Any

import django

# Offerings without prerequisites, open to any license: a fresh trainee may buy either.
OFFERING_SLUGS = ("module-1", "music-module")
# Sessions the throughput phases spread their orders over, round-robin by client.
THROUGHPUT_SESSIONS = 4
THROUGHPUT_CAPACITY = 1_000_000
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _sessions(*, race_capacity: int) -> dict[str, Any]:
    from django.utils import timezone

    from catalog.models import Offering, Session

    offerings = {o.slug: o for o in Offering.objects.filter(slug__in=OFFERING_SLUGS)}
    missing = [slug for slug in OFFERING_SLUGS if slug not in offerings]
    if missing:
        raise SystemExit(f"the seed catalog has no {', '.join(missing)}")
    for offering in offerings.values():
        if offering.prerequisites.exists() or offering.eligible_professions:
            raise SystemExit(f"{offering.slug} is not open to every trainee any more")

    start = timezone.now().replace(hour=17, minute=0, second=0, microsecond=0)

    def session(offering: Offering, days: int, capacity: int) -> Session:
        starts = start + timedelta(days=days)
        return Session.objects.create(
            offering=offering,
            starts_at=starts,
            ends_at=starts + timedelta(hours=8),
            capacity=capacity,
            location="Bench Hall, Berkeley, California",
        )

    throughput = [
        session(
            offerings[OFFERING_SLUGS[i % len(OFFERING_SLUGS)]], 200 + 7 * i, THROUGHPUT_CAPACITY
        )
        for i in range(THROUGHPUT_SESSIONS)
    ]
    race = session(offerings[OFFERING_SLUGS[0]], 300, race_capacity)
    return {
        "throughput": [
            {"id": s.pk, "offering": s.offering.slug, "capacity": s.capacity} for s in throughput
        ],
        "race": {"id": race.pk, "offering": race.offering.slug, "capacity": race.capacity},
    }


def _trainees(count: int, prefix: str) -> list[str]:
    """COUNT trainees with complete profiles, each signed in: their session keys."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from catalog.professions import Profession
    from registration.models import TraineeProfile

    User = get_user_model()
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"{prefix}-{i}",
                email=f"{prefix}-{i}@bench.example",
                first_name="Bench",
                last_name=f"Trainee {i}",
                password=make_password(None),
            )
            for i in range(count)
        )
        TraineeProfile.objects.bulk_create(
            TraineeProfile(
                user=user,
                legal_name=f"Bench Trainee {i}",
                credentials="PhD",
                profession=Profession.PSYCHOLOGIST,
                license_number=f"PSY {10000 + i}",
                license_state="CA",
            )
            for i, user in enumerate(users)
        )
        keys = []
        for user in users:
            # What django.contrib.auth.login() stores, without a request to log in with.
            store = session_store()
            store[SESSION_KEY] = user._meta.pk.value_to_string(user)
            store[BACKEND_SESSION_KEY] = BACKEND
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            keys.append(store.session_key)
    return keys


def setup(trainees: int, racers: int, race_capacity: int) -> dict[str, Any]:
    from catalog.cache import catalog_changed

    sessions = _sessions(race_capacity=race_capacity)
    result = {
        "sessions": sessions,
        "trainees": _trainees(trainees, "bench-buyer"),
        "racers": _trainees(racers, "bench-racer"),
    }
    catalog_changed()
    return result


def audit(race_session_id: int, session_ids: list[int]) -> dict[str, Any]:
    """Seats occupied per session, from the tables; and every overbooked session there is."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    occupied = (
        "SELECT s.id, s.capacity, count(e.id) FILTER (WHERE e.status = 'confirmed' OR "
        "(e.status = 'held' AND e.hold_expires_at > %s)) AS taken, "
        "count(e.id) FILTER (WHERE e.status = 'held') AS held "
        "FROM catalog_session s LEFT JOIN registration_enrolment e ON e.session_id = s.id "
        "GROUP BY s.id, s.capacity"
    )
    with connection.cursor() as cursor:
        cursor.execute(occupied, [now])
        rows = {pk: (capacity, taken, held) for pk, capacity, taken, held in cursor.fetchall()}
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'pending') FROM registration_order"
        )
        orders, pending = cursor.fetchone()

    def entry(pk: int) -> dict[str, int]:
        capacity, taken, held = rows[pk]
        return {
            "id": pk,
            "capacity": capacity,
            "taken": taken,
            "held": held,
            "oversold": max(0, taken - capacity),
        }

    return {
        "race": entry(race_session_id),
        "throughput": [entry(pk) for pk in session_ids],
        "sessions_oversold": [entry(pk) for pk, (c, t, _h) in sorted(rows.items()) if t > c],
        "orders": orders,
        "orders_pending": pending,
    }


def main(argv: list[str]) -> None:
    django.setup()
    from django.db import connections

    command, *args = argv
    try:
        if command == "setup":
            trainees, racers, race_capacity = map(int, args)
            result = setup(trainees, racers, race_capacity)
        elif command == "audit":
            race, *others = map(int, args)
            result = audit(race, others)
        else:
            raise SystemExit(f"unknown command {command!r}")
    finally:
        connections.close_all()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
