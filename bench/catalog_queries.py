"""The catalog pages' query counts, on the seed catalog and on one grown tenfold.

Run by bench/catalog.py as `python -m bench.catalog_queries PATH...` in the bench
environment (against the scratch database, after the load test); it prints one JSON
object on its last line of stdout. It grows the catalog in place: the database is
thrown away afterwards.

Each page is requested through Django's test client with the cache emptied (every query
the page needs), then twice through polaris.wsgi as a visitor without cookies: the second
of these is what a cached visit costs.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import django

GROWTH = 10
# Generated rows per generated offering.
SESSIONS_PER_OFFERING = 3
OBJECTIVES_PER_OFFERING = 4
INSTRUCTORS_PER_OFFERING = 3
OFFERINGS_PER_BUNDLE = 4
COLD_TIMINGS = 5


def _measure(path: str) -> dict[str, Any]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")

    def get(label: str):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} ({label})")
        return response

    # Read each capture as soon as it closes: the next request resets the connection's log.
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        response = get("cold")
    cold_sql = [q["sql"] for q in cold.captured_queries]
    # A visitor's next visit, as gunicorn serves it: through polaris.wsgi (the page cache).
    _wsgi_get(path)
    with CaptureQueriesContext(connection) as warm:
        _wsgi_get(path)
    warm_sql = [q["sql"] for q in warm.captured_queries]

    timings = []
    for _ in range(COLD_TIMINGS):
        cache.clear()
        started = time.perf_counter()
        get("cold")
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "queries": len(cold_sql),
        "queries_cached": len(warm_sql),
        "bytes": len(response.content),
        "cold_render_ms": round(statistics.median(timings), 2),
        "sql": cold_sql,
    }


def _wsgi_get(path: str) -> None:
    """GET PATH from polaris.wsgi's application, as a visitor without cookies."""
    import io
    from wsgiref.util import setup_testing_defaults

    from polaris.wsgi import application

    environ = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status: list[str] = []
    result = application(environ, lambda code, headers, exc_info=None: status.append(code))
    b"".join(result)
    getattr(result, "close", lambda: None)()
    if not status[0].startswith("200"):
        raise SystemExit(f"{path} answered {status[0]} (cached)")


def _sizes() -> dict[str, int]:
    from catalog.models import (
        Bundle,
        Instructor,
        LearningObjective,
        Offering,
        OfferingCredit,
        Session,
    )

    return {
        "offerings": Offering.objects.count(),
        "sessions": Session.objects.count(),
        "objectives": LearningObjective.objects.count(),
        "credits": OfferingCredit.objects.count(),
        "instructors": Instructor.objects.count(),
        "bundles": Bundle.objects.count(),
    }


def grow_catalog(factor: int = GROWTH) -> None:
    """Add offerings (with sessions, objectives, CE, instructors, prerequisites, bundles and
    enrolments) until the catalog is FACTOR times its size."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import (
        Bundle,
        CreditType,
        Instructor,
        LearningObjective,
        Offering,
        OfferingCredit,
        Session,
    )
    from registration.models import Enrolment

    now = timezone.now()
    kinds = list(Offering.Kind)
    deliveries = list(Offering.Delivery)
    numbered = {Offering.Kind.MODULE, Offering.Kind.RESIDENTIAL}
    credit_types = list(CreditType.objects.all())
    first_module = Offering.objects.filter(kind=Offering.Kind.MODULE).order_by("number").first()

    with transaction.atomic():
        extra_instructors = Instructor.objects.count() * (factor - 1)
        instructors = Instructor.objects.bulk_create(
            Instructor(
                name=f"Bench Instructor {i}",
                slug=f"bench-instructor-{i}",
                credentials="PhD",
                bio="A generated instructor for the benchmark. " * 5,
                sort_order=200 + i % 50,
            )
            for i in range(extra_instructors)
        )

        extra_offerings = Offering.objects.count() * (factor - 1)
        offerings = Offering.objects.bulk_create(
            Offering(
                slug=f"bench-offering-{i}",
                kind=kinds[i % len(kinds)],
                number=100 + i if kinds[i % len(kinds)] in numbered else None,
                title=f"Generated training {i}",
                summary="A generated offering for the benchmark. " * 4,
                description="Its longer description, paragraph after paragraph. " * 20,
                audience="Licensed clinicians",
                level="Intermediate",
                hours=Decimal("8.0"),
                delivery=deliveries[i % len(deliveries)],
                tuition_cents=90_000 + i * 100,
                admin_fee_cents=2_500,
                sort_order=200 + i,
            )
            for i in range(extra_offerings)
        )

        sessions = Session.objects.bulk_create(
            Session(
                offering=offering,
                starts_at=now + timedelta(days=7 + 3 * i + 30 * j),
                ends_at=now + timedelta(days=7 + 3 * i + 30 * j, hours=8),
                capacity=24,
                location="Berkeley, California",
            )
            for i, offering in enumerate(offerings)
            for j in range(SESSIONS_PER_OFFERING)
        )
        LearningObjective.objects.bulk_create(
            LearningObjective(offering=offering, position=p, text=f"Objective {p}. " * 8)
            for offering in offerings
            for p in range(1, OBJECTIVES_PER_OFFERING + 1)
        )
        OfferingCredit.objects.bulk_create(
            OfferingCredit(
                offering=offering, credit_type=ct, credits=Decimal("8.0"), fee_cents=5000
            )
            for offering in offerings
            for ct in credit_types
        )
        if instructors:
            Offering.instructors.through.objects.bulk_create(
                Offering.instructors.through(
                    offering_id=offering.pk,
                    instructor_id=instructors[
                        (i * INSTRUCTORS_PER_OFFERING + k) % len(instructors)
                    ].pk,
                )
                for i, offering in enumerate(offerings)
                for k in range(INSTRUCTORS_PER_OFFERING)
            )
        if first_module is not None:
            Offering.prerequisites.through.objects.bulk_create(
                Offering.prerequisites.through(
                    from_offering_id=offering.pk, to_offering_id=first_module.pk
                )
                for offering in offerings
            )

        extra_bundles = Bundle.objects.count() * (factor - 1)
        bundles = Bundle.objects.bulk_create(
            Bundle(
                slug=f"bench-bundle-{b}",
                title=f"Generated program {b}",
                summary="A generated bundle for the benchmark.",
                hours=Decimal("32.0"),
                tuition_cents=300_000,
            )
            for b in range(extra_bundles)
        )
        if offerings:
            Bundle.offerings.through.objects.bulk_create(
                Bundle.offerings.through(
                    bundle_id=bundle.pk,
                    offering_id=offerings[(b * OFFERINGS_PER_BUNDLE + k) % len(offerings)].pk,
                )
                for b, bundle in enumerate(bundles)
                for k in range(OFFERINGS_PER_BUNDLE)
            )

        # Seats taken: every generated session gets a confirmed and a held enrolment.
        trainee = get_user_model().objects.create(
            username="bench-trainee", email="trainee@bench.example"
        )
        Enrolment.objects.bulk_create(
            Enrolment(session=session, trainee=trainee, status=status, hold_expires_at=expires)
            for session in sessions
            for status, expires in (
                (Enrolment.Status.CONFIRMED, None),
                (Enrolment.Status.HELD, now + timedelta(hours=1)),
            )
        )


def main(paths: list[str]) -> None:
    django.setup()
    from django.db import connections

    try:
        seed = {"sizes": _sizes(), "pages": {path: _measure(path) for path in paths}}
        grow_catalog(GROWTH)
        grown = {"sizes": _sizes(), "pages": {path: _measure(path) for path in paths}}
    finally:
        connections.close_all()
    print(json.dumps({"growth": GROWTH, "seed": seed, "grown": grown}))


if __name__ == "__main__":
    main(sys.argv[1:])
