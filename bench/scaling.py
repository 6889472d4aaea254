"""The scaling benchmark: the two figures README's "Scaling out" rests on besides the other
benchmarks'.

- A certificate's download: its PDF read from the database storage (what every host serves)
  against rendering it again from the certificate's snapshot (the alternative design).
- A popular session's lock: `order_place` holds the session's row lock for its whole
  transaction. Orders placed by 8 threads at once on one session, against the same spread
  over four sessions, and one order alone: how many orders a second one session admits,
  whatever the number of web hosts.

Production settings (DEBUG off, Redis cache, PostgreSQL with persistent connections) on a
scratch database loaded with the seed catalog; the measuring runs as
`python -m bench.scaling measure` in that environment. Results go to
bench/results/scaling.json.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from typing import Any

from . import common
from .common import BenchError, Options

NAME = "scaling"
SCRATCH_DB = "polaris_bench_scaling"
REDIS_DB = 10
DOWNLOADS = 200
RENDERS = 15
ORDERS = 160
ALONE = 40
THREADS = 8


# --------------------------------------------------------------------------------------
# The measuring side: runs inside the bench environment (python -m bench.scaling measure)
# --------------------------------------------------------------------------------------


def _median_ms(function, times: int) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        function()
        spent.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(spent), 2)


def _trainees(count: int, sessions, prefix: str) -> list:
    """Trainees with a complete profile and one session each in their cart (round robin)."""
    from django.contrib.auth import get_user_model

    from registration.models import CartItem, TraineeProfile

    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}-{n}", email=f"{prefix}-{n}@bench.example")
        for n in range(count)
    )
    TraineeProfile.objects.bulk_create(
        TraineeProfile(
            user=user,
            legal_name=f"Trainee {user.pk}",
            profession="psychologist",
            license_number="PSY 1",
            license_state="CA",
        )
        for user in users
    )
    CartItem.objects.bulk_create(
        CartItem(trainee=user, session=session, offering=session.offering)
        for user, session in zip(users, (sessions * count)[:count], strict=True)
    )
    return users


def _place_at_once(users, now) -> dict[str, float]:
    from django.db import connection

    from registration.models import Order
    from registration.services.orders import order_place

    chunks = [users[i::THREADS] for i in range(THREADS)]
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def place(chunk) -> None:
        try:
            start.wait()
            for user in chunk:
                began = time.perf_counter()
                order_place(trainee=user, payment_method=Order.Method.OFFLINE, now=now)
                with lock:
                    latencies.append((time.perf_counter() - began) * 1000)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(chunk,)) for chunk in chunks]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if errors:
        raise SystemExit(f"an order failed: {errors[0]!r}")
    return {
        "orders": len(users),
        "orders_per_s": round(len(users) / seconds, 1),
        "order_ms_p50": round(statistics.median(latencies), 1),
    }


def measure() -> dict[str, Any]:
    import django

    django.setup()
    from django.utils import timezone

    from catalog.models import Session
    from certificates.models import Certificate
    from certificates.services import rendering
    from certificates.services.delivery import certificate_pdf_bytes, certificate_render
    from polaris.models import StoredFile
    from registration.models import Enrolment, Order, OrderLine
    from registration.services.orders import order_place

    now = timezone.now()
    sessions = list(
        Session.objects.select_related("offering")
        # Offerings anyone may buy, with no prerequisite.
        .filter(
            status=Session.Status.SCHEDULED,
            starts_at__gt=now,
            offering__slug__in=["module-1", "music-module"],
        )
        .order_by("starts_at")[:4]
    )
    if len(sessions) < 4:
        raise SystemExit("the seed catalog has fewer than four sessions of Module 1 and Music")
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(capacity=1_000_000)

    # A certificate of an attended enrolment, its PDF kept in the database.
    (trainee,) = _trainees(1, sessions[:1], "bench-certificate")
    order = order_place(trainee=trainee, payment_method=Order.Method.OFFLINE, now=now)
    enrolment = Enrolment.objects.get(order_line__in=OrderLine.objects.filter(order=order))
    certificate = Certificate.objects.create(
        enrolment=enrolment,
        trainee=trainee,
        kind=Certificate.Kind.ATTENDANCE,
        legal_name="Dana Cho",
        course_title=sessions[0].offering.title,
        session_dates=str(sessions[0]),
        issued_at=now,
    )
    rendering.certificate_pdf(certificate)  # fonts and stylesheet loaded, as in a worker
    render_ms = _median_ms(lambda: rendering.certificate_pdf(certificate), RENDERS)
    certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    stored_bytes = StoredFile.objects.get(name=certificate.pdf.name).size
    download_ms = _median_ms(
        lambda: certificate_pdf_bytes(certificate=Certificate.objects.get(pk=certificate.pk)),
        DOWNLOADS,
    )

    # Orders: one at a time, then 8 threads on one session, then on four sessions.
    alone_users = _trainees(ALONE, sessions[3:4], "bench-alone")
    alone_ms = _median_ms(
        lambda: order_place(
            trainee=alone_users.pop(), payment_method=Order.Method.OFFLINE, now=now
        ),
        ALONE,
    )
    one = _place_at_once(_trainees(ORDERS, sessions[1:2], "bench-one"), now)
    four = _place_at_once(_trainees(ORDERS, sessions[0:4], "bench-four"), now)
    return {
        "download": {
            "stored_ms": download_ms,
            "render_ms": render_ms,
            "pdf_bytes": stored_bytes,
        },
        "orders": {"alone_ms": alone_ms, "one_session": one, "four_sessions": four},
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


# --------------------------------------------------------------------------------------
# The driving side
# --------------------------------------------------------------------------------------


def _summarise(measured: dict[str, Any]) -> dict[str, Any]:
    download, orders = measured["download"], measured["orders"]
    return {
        **common.result_head(NAME, redis_db=REDIS_DB),
        "setup": {
            "client": "services called in one process (no HTTP)",
            "settings": "DEBUG=0, HTTPS unset, CONN_MAX_AGE=60, Redis cache, PostgreSQL",
            "downloads": DOWNLOADS,
            "renders": RENDERS,
            "threads": THREADS,
            "orders_per_phase": ORDERS,
            "load_average_at_end": measured["load_average"],
        },
        "download": {
            **download,
            "render_vs_stored": round(download["render_ms"] / download["stored_ms"], 1),
        },
        "orders": {
            **orders,
            "one_session_vs_four": round(
                orders["one_session"]["orders_per_s"] / orders["four_sessions"]["orders_per_s"], 2
            ),
        },
    }


def _print(result: dict[str, Any]) -> None:
    download, orders = result["download"], result["orders"]
    print()
    print(
        f"certificate download: stored {download['stored_ms']} ms, rendered again "
        f"{download['render_ms']} ms ({download['render_vs_stored']}x); "
        f"PDF {download['pdf_bytes']:,} bytes"
    )
    rows = [
        ["one order alone", "—", f"{orders['alone_ms']}"],
        *[
            [
                f"{THREADS} threads, {label}",
                orders[key]["orders_per_s"],
                orders[key]["order_ms_p50"],
            ]
            for label, key in (("one session", "one_session"), ("four sessions", "four_sessions"))
        ],
    ]
    print(common.table(["orders", "orders/s", "p50 ms"], rows))
    print(f"load average at the end: {result['setup']['load_average_at_end']}")


def run(options: Options) -> int:
    """Run the scaling benchmark; 0 when it measured, 1 when a step failed."""
    print(f"== {NAME}", flush=True)
    try:
        with common.scratch_env(SCRATCH_DB, redis_db=REDIS_DB) as env:
            common.manage(["migrate", "--noinput", "--verbosity", "0"], env)
            common.manage(["load_catalog"], env)
            print("  a certificate's download; orders on one session and on four", flush=True)
            measured = common.run_json_module("bench.scaling", ["measure"], env)
    except BenchError as exc:
        return common.failed(NAME, exc)
    result = _summarise(measured)
    common.report(NAME, result, _print)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["measure"]:
        raise SystemExit(
            "usage: python -m bench.scaling measure (run by `python -m bench scaling`)"
        )
    print(json.dumps(measure()))
