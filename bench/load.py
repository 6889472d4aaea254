"""The load test: two minutes of mixed catalog browsing and checkouts against gunicorn with
production settings, after which no response may have been a 5xx and no session oversold.

The production stack of the other benchmarks (gunicorn sync workers, DEBUG off, Redis,
PostgreSQL with persistent connections) on its own scratch database with the seed catalog.
`python -m bench.load setup` (run in that environment) adds trainees with complete profiles,
verified email addresses and a password, and sessions of Module 1 and the Music Module:
some with a handful of seats, so that broken seat locking would oversell them, and some
with room for everyone.

Locust (bench/locustfile.py, headless, loopback only, stopping by itself) then runs
visitors who browse the catalog and trainees who sign in once through the login form,
register for a session (CE where their license allows it), pay by invoice, and sometimes
cancel, which gives the seats back so checkouts go on for the whole run.
`python -m bench.load audit` counts, after the run, the seats every session's enrolments
occupy (confirmed, and held until the hold expires) against its capacity.

Results go to bench/results/load.json. The run fails (non-zero exit) on any 5xx, any
oversold session, any request that got no answer, or an answer no browser would expect.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import common
from .checkout_setup import OFFERING_SLUGS
from .common import BenchError, Options

NAME = "load"
SCRATCH_DB = "polaris_load"
REDIS_DB = 9

RUN_SECONDS = 120
USERS = 40
SPAWN_RATE = 8
# Each trainee signs in once through the form; allauth allows 30 sign-ins a minute per IP
# and every locust user shares 127.0.0.1, so all of them must fit in the first minute.
TRAINEES = 16
# Enough sync workers that several checkouts are in PostgreSQL at the same moment.
WORKERS = 4
PASSWORD = "bench-load-Kx7-password"
# Per offering: the sessions' capacities. The small ones fill at once and then change
# hands as trainees cancel; the large one never fills.
CAPACITIES = (2, 4, 1000)
LOCUSTFILE = Path(__file__).with_name("locustfile.py")

# License types whose CE choices differ: APA in state, APA with the out-of-state notice
# to acknowledge, BRN, and none at all (a Certificate of Attendance only).
PROFILES = (
    ("psychologist", "CA", "PhD"),
    ("lmft", "OR", "LMFT"),
    ("rn", "CA", "RN"),
    ("other", "CA", "MA"),
)


# --------------------------------------------------------------------------------------
# The database side: runs inside the bench environment (python -m bench.load setup|audit)
# --------------------------------------------------------------------------------------


def _bench_sessions() -> list[dict[str, Any]]:
    """Sessions of the open offerings on days of their own, so none overlaps another."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import Offering, Session

    offerings = {o.slug: o for o in Offering.objects.filter(slug__in=OFFERING_SLUGS)}
    missing = [slug for slug in OFFERING_SLUGS if slug not in offerings]
    if missing:
        raise SystemExit(f"the seed catalog has no {', '.join(missing)}")
    start = timezone.now().replace(hour=17, minute=0, second=0, microsecond=0)
    sessions = []
    for i, slug in enumerate(OFFERING_SLUGS):
        for j, capacity in enumerate(CAPACITIES):
            starts = start + timedelta(days=400 + 10 * i + 2 * j)
            session = Session.objects.create(
                offering=offerings[slug],
                starts_at=starts,
                ends_at=starts + timedelta(hours=8),
                capacity=capacity,
                location="Bench Hall, Berkeley, California",
            )
            sessions.append({"id": session.pk, "offering": slug, "capacity": capacity})
    return sessions


def _trainees(count: int) -> list[str]:
    """COUNT trainees who can sign in with PASSWORD: their email addresses."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from registration.models import TraineeProfile

    User = get_user_model()
    # One hash for all: hashing is deliberately slow, and the password is the same.
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        User(
            username=f"bench-load-{i}",
            email=f"load-{i}@bench.example",
            first_name="Load",
            last_name=f"Trainee {i}",
            password=password,
        )
        for i in range(count)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    TraineeProfile.objects.bulk_create(
        TraineeProfile(
            user=user,
            legal_name=f"Load Trainee {i}",
            credentials=PROFILES[i % len(PROFILES)][2],
            profession=PROFILES[i % len(PROFILES)][0],
            license_number=f"LIC {20000 + i}",
            license_state=PROFILES[i % len(PROFILES)][1],
        )
        for i, user in enumerate(users)
    )
    return [user.email for user in users]


def _pages() -> dict[str, list[str]]:
    """The public pages a visitor can browse, as paths."""
    from django.urls import reverse
    from django.utils import timezone

    from catalog import selectors

    return {
        "offering": [o.get_absolute_url() for o in selectors.published_offerings()],
        "instructor": [i.get_absolute_url() for i in selectors.instructors()],
        "bundle": [b.get_absolute_url() for b in selectors.published_bundles()],
        "session_ics": [
            reverse("catalog:session_ics", kwargs={"pk": s.pk})
            for s in selectors.calendar_sessions(now=timezone.now())
        ],
    }


def setup(trainees: int) -> dict[str, Any]:
    from django.db import transaction

    from catalog.cache import catalog_changed

    with transaction.atomic():
        plan = {
            "sessions": _bench_sessions(),
            "trainees": _trainees(trainees),
            "password": PASSWORD,
        }
    catalog_changed()
    plan["pages"] = _pages()
    return plan


def audit() -> dict[str, Any]:
    """Every session's occupied seats against its capacity, read with the admin's selector."""
    from django.db.models import Count
    from django.utils import timezone

    from catalog.models import Session
    from registration.models import Order
    from registration.selectors import sessions_with_roster_counts

    sessions = []
    for session in sessions_with_roster_counts(Session.objects.order_by("pk"), now=timezone.now()):
        taken = session.seats_confirmed + session.seats_held
        sessions.append(
            {
                "id": session.pk,
                "capacity": session.capacity,
                "confirmed": session.seats_confirmed,
                "held": session.seats_held,
                "taken": taken,
                "oversold": max(0, taken - session.capacity),
            }
        )
    orders = dict(Order.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {"sessions": sessions, "orders": orders}


# --------------------------------------------------------------------------------------
# The load: locust, headless, against gunicorn on loopback
# --------------------------------------------------------------------------------------


def _prepare(env: dict[str, str]) -> dict[str, Any]:
    common.manage(["migrate", "--noinput", "--verbosity", "0"], env)
    common.manage(["load_catalog"], env)
    common.manage(["collectstatic", "--noinput", "--verbosity", "0"], env)
    print(f"  bench.load setup: {TRAINEES} trainees, bench sessions", flush=True)
    return common.run_json_module("bench.load", ["setup", str(TRAINEES)], env)


def _locust(base: str, plan: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run locust for RUN_SECONDS; the report bench/locustfile.py writes as it quits."""
    if urlsplit(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the load test loads loopback addresses only, not {base}")
    plan_path, report_path = workdir / "plan.json", workdir / "report.json"
    plan_path.write_text(json.dumps(plan))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")},
        "LOAD_PLAN": str(plan_path),
        "LOAD_REPORT": str(report_path),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "--locustfile",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        f"{RUN_SECONDS}s",
        "--stop-timeout",
        "10",
        "--host",
        base,
        "--only-summary",
        "--loglevel",
        "WARNING",
        # Failures are judged here, from what was counted, not from locust's exit code.
        "--exit-code-on-error",
        "0",
    ]
    print(
        f"  locust: {USERS} users ({TRAINEES} trainees), {SPAWN_RATE}/s, {RUN_SECONDS} s",
        flush=True,
    )
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=common.REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS + 120,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError("locust did not stop by itself") from exc
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not report_path.exists():
        raise BenchError(f"locust exited {done.returncode}:\n{done.stderr[-4000:]}")
    return {"seconds": seconds, **json.loads(report_path.read_text())}


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


def _summarise(
    *, plan: dict[str, Any], load: dict[str, Any], audit: dict[str, Any], workers: int
) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    for counts in load["statuses"].values():
        statuses.update({int(status): n for status, n in counts.items()})
    total, outcomes = load["total"], load["outcomes"]
    http_5xx = sum(n for status, n in statuses.items() if status >= 500)
    no_answer = statuses.get(0, 0)
    rate_limited = statuses.get(429, 0)
    unexpected = load["unexpected"]
    bench_ids = {s["id"] for s in plan["sessions"]}
    sessions = audit["sessions"]
    oversold = [s for s in sessions if s["oversold"]]
    errors = []
    seen = {
        "placed": (outcomes.get("orders_placed", 0), sum(audit["orders"].values())),
        "cancelled": (outcomes.get("orders_cancelled", 0), audit["orders"].get("cancelled", 0)),
    }
    for what, (by_trainees, in_database) in seen.items():
        if by_trainees != in_database:
            errors.append(
                f"{by_trainees} orders seen {what} by the trainees, {in_database} in the database"
            )
    passed = (
        http_5xx == 0
        and not oversold
        and no_answer == 0
        and sum(unexpected.values()) == 0
        and not errors
    )
    return {
        "benchmark": NAME,
        "timestamp": common.now_iso(),
        "revision": common.git_revision(),
        "machine": {
            **common.machine_info(redis_url=f"{common.REDIS_SERVER}/{REDIS_DB}"),
            "locust": metadata.version("locust"),
        },
        "setup": {
            "server": f"gunicorn, {workers} sync workers",
            "settings": "DEBUG=0, HTTPS unset, CONN_MAX_AGE=60, Redis cache, PostgreSQL",
            "load": (
                f"locust {USERS} users ({USERS - TRAINEES} visitors, {TRAINEES} trainees), "
                f"spawned {SPAWN_RATE}/s, headless, loopback"
            ),
            "visitor": "home, offering pages, calendar, calendar.ics, session .ics, "
            "instructors, the full training; 0.5-2 s between pages",
            "trainee": "signs in once; then registers (offering page, add to cart, cart, CE "
            "where the license allows, place order by invoice, order page), cancels a pending "
            "order, opens My trainings; 1-3 s between steps",
            "sessions": plan["sessions"],
        },
        "duration_s": RUN_SECONDS,
        "wall_s": round(load["seconds"], 1),
        "users": USERS,
        "requests": total["requests"],
        "rps": round(total["rps"], 1),
        "latency_ms": total["latency_ms"],
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
        "http_5xx": http_5xx,
        "no_answer": no_answer,
        "rate_limited_429": rate_limited,
        "rate_limited_note": (
            "429 is allauth's sign-in limit (30 a minute per IP; every locust user is "
            f"127.0.0.1); the {TRAINEES} trainees sign in once each, so none is expected"
        ),
        "failures": load["failures"],
        "unexpected": unexpected,
        "endpoints": load["endpoints"],
        "orders": {
            "placed": outcomes.get("orders_placed", 0),
            "cancelled": outcomes.get("orders_cancelled", 0),
            "told_full": outcomes.get("told_full", 0),
            "with_ce": outcomes.get("with_ce", 0),
            "sign_ins": outcomes.get("signed_in", 0),
            "in_database": audit["orders"],
        },
        "seats": {
            "sessions": len(sessions),
            "at_capacity": sum(1 for s in sessions if s["taken"] == s["capacity"]),
            "oversold": len(oversold),
            "oversold_sessions": oversold,
            "bench_sessions": [s for s in sessions if s["id"] in bench_ids],
        },
        "errors": errors,
        "passed": passed,
    }


def _print(result: dict[str, Any]) -> None:
    machine, setup = result["machine"], result["setup"]
    print()
    print(
        f"Load test — {machine['cpu_model']}, {machine['cores']} cores, "
        f"Python {machine['python']}, Django {machine['django']}, locust {machine['locust']}"
    )
    print(f"{setup['server']}; {setup['load']}; {result['duration_s']} s")
    rows = [
        [
            name,
            entry["requests"],
            entry["failures"],
            f"{entry['rps']:.1f}",
            *(f"{v:.0f}" if v is not None else "—" for v in entry["latency_ms"].values()),
        ]
        for name, entry in sorted(result["endpoints"].items())
    ]
    print(common.table(["endpoint", "requests", "failures", "req/s", "p50", "p95", "p99"], rows))
    orders, seats = result["orders"], result["seats"]
    print(
        f"load: {result['requests']} requests ({result['rps']:.1f} req/s), "
        f"5xx {result['http_5xx']}, 429 {result['rate_limited_429']}, "
        f"no answer {result['no_answer']}; orders placed {orders['placed']}, "
        f"cancelled {orders['cancelled']}, told full {orders['told_full']}; "
        f"sessions at capacity {seats['at_capacity']}, oversold {seats['oversold']} "
        f"{'pass' if result['passed'] else 'FAIL'}"
    )
    for kind, n in result["unexpected"].items():
        print(f"  unexpected: {kind} ({n})")
    for error in result["errors"]:
        print(f"  {error}")


def run(options: Options) -> int:
    """Run the load test; 0 when it passed, 1 on a 5xx, an oversold session or an error."""
    print(f"== {NAME}", flush=True)
    redis_url = f"{common.REDIS_SERVER}/{REDIS_DB}"
    workers = max(options.workers, WORKERS)
    try:
        with (
            common.scratch_database(SCRATCH_DB) as database_url,
            tempfile.TemporaryDirectory(prefix="bench-load-") as workdir,
        ):
            env = common.production_env(database_url=database_url, redis_url=redis_url)
            common.flush_redis(redis_url)
            try:
                plan = _prepare(env)
                with common.gunicorn(env, workers=workers) as base:
                    load = _locust(base, plan, Path(workdir))
                audit_ = common.run_json_module("bench.load", ["audit"], env)
            finally:
                # Orders queued emails on the broker: leave no messages behind.
                with contextlib.suppress(BenchError):
                    common.flush_redis(redis_url)
    except BenchError as exc:
        return common.failed(NAME, exc)
    result = _summarise(plan=plan, load=load, audit=audit_, workers=workers)
    path = common.report(NAME, result, _print)
    if not result["passed"]:
        return common.failed(NAME, f"see {path.name}")
    return 0


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.db import connections

    try:
        if argv[:1] == ["setup"] and len(argv) == 2:
            result = setup(int(argv[1]))
        elif argv == ["audit"]:
            result = audit()
        else:
            raise SystemExit("usage: python -m bench.load setup TRAINEES | audit")
    finally:
        connections.close_all()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
