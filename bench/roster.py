"""The roster benchmark: how long a coordinator waits for a 500-enrolment roster page, next
to the catalog home page in the same run, and whether its query count stays put.

Production settings (DEBUG off, Redis cache, PostgreSQL with persistent connections) on a
scratch database loaded with the seed catalog. This module then runs itself as
`python -m bench.roster measure` in that environment: a superuser signed in through
Django's test client (the whole middleware stack, no network) requests the roster of one
Module 1 session (the admin changelist with ?session__id__exact=) with 50 enrolments, and
again after growing it to 500, each page's render time being the median of several renders.
Two views of the roster are measured: its default page (100 rows) and "Show all". The home
page is rendered in the same process, with its cache emptied before each render (cold:
every query it needs) and as a visitor usually gets it (warm: cached fragments).

Results go to bench/results/roster.json. The run fails (non-zero exit) when a page errors;
a query count that grows with the roster is reported, not fatal.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

from . import common
from .common import BenchError, Options

NAME = "roster"
SCRATCH_DB = "polaris_bench_roster"
REDIS_DB = 4
SIZES = (50, 500)
RENDERS = 15
WARMUP_RENDERS = 3
HOME = "/"


# --------------------------------------------------------------------------------------
# The measuring side: runs inside the bench environment (python -m bench.roster measure)
# --------------------------------------------------------------------------------------


def _grow_roster(session, count: int) -> None:
    """Confirmed enrolments with profiles, paid orders, CE and sign-in times, in bulk."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from catalog.models import CreditType
    from registration.models import Enrolment, Order, OrderLine, TraineeProfile

    User = get_user_model()
    start = Enrolment.objects.filter(session=session).count()
    credit_types = list(CreditType.objects.order_by("pk"))
    professions = ("psychologist", "lmft", "lcsw", "rn", "md")
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(username=f"bench-roster-{n}", email=f"trainee{n}@bench.example")
            for n in range(start, start + count)
        )
        TraineeProfile.objects.bulk_create(
            TraineeProfile(
                user=user,
                legal_name=f"Trainee {n:04d} Benchmark",
                credentials="PhD",
                profession=professions[n % len(professions)],
                license_number=f"LIC {10000 + n}",
                license_state="CA",
            )
            for n, user in enumerate(users, start=start)
        )
        orders = Order.objects.bulk_create(
            Order(
                trainee=user,
                status=Order.Status.PAID,
                payment_method=Order.Method.STRIPE if n % 4 else Order.Method.OFFLINE,
                total_cents=35000,
                paid_at=session.starts_at - timedelta(days=10),
            )
            for n, user in enumerate(users)
        )
        lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                session=session,
                offering=session.offering,
                description=str(session.offering),
                tuition_cents=32500,
                admin_fee_cents=2500,
            )
            for order in orders
        )
        Enrolment.objects.bulk_create(
            Enrolment(
                session=session,
                trainee=user,
                status=Enrolment.Status.CONFIRMED,
                order_line=line,
                credit_type=credit_types[n % len(credit_types)] if credit_types else None,
                signed_in_at=session.starts_at + timedelta(minutes=n % 30 - 5),
                signed_out_at=session.ends_at - timedelta(minutes=n % 30 - 5),
            )
            for n, (user, line) in enumerate(zip(users, lines, strict=True))
        )


def _sign_in_with_two_factors(client, user) -> None:
    """Staff reach the admin only once signed in with their password and an authenticator's
    code: set up an authenticator for `user` and leave in the client's session what such a
    sign-in leaves there (django-allauth's records of it)."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.http import HttpRequest

    authenticator = TOTP.activate(user, generate_totp_secret()).instance
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()


def _render(client, path: str, *, clear_cache: bool = False) -> dict[str, Any]:
    """Queries, size and rows of one visit, then the median render time of several."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        if clear_cache:
            cache.clear()
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return response

    for _ in range(WARMUP_RENDERS):
        get()
    with CaptureQueriesContext(connection) as context:
        response = get()
    sql = [query["sql"] for query in context.captured_queries]
    timings = []
    for _ in range(RENDERS):
        started = time.perf_counter()
        get()
        timings.append((time.perf_counter() - started) * 1000)
    body = response.content.decode()
    return {
        "queries": len(sql),
        "render_ms": round(statistics.median(timings), 2),
        "render_ms_p90": round(sorted(timings)[int(len(timings) * 0.9) - 1], 2),
        "bytes": len(body),
        "rows": body.count('class="action-checkbox"'),
        "sql": sql,
    }


def _sheet_ms(session) -> float:
    """How long the printable sign-in sheet of the whole roster takes to render."""
    from django.utils import timezone

    from registration.services.attendance import sign_in_sheet_pdf

    started = time.perf_counter()
    sign_in_sheet_pdf(session=session, now=timezone.now())
    return round((time.perf_counter() - started) * 1000, 1)


def measure() -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    from catalog.models import Session

    try:
        session = (
            Session.objects.select_related("offering")
            .filter(offering__slug="module-1", starts_at__isnull=False)
            .order_by("starts_at")
            .first()
        )
        if session is None:
            raise SystemExit("the seed catalog has no dated Module 1 session")
        admin = get_user_model().objects.create_superuser(
            "bench-coordinator", "coordinator@bench.example", None
        )
        client = Client(HTTP_HOST="127.0.0.1")
        _sign_in_with_two_factors(client, admin)
        roster = (
            reverse("admin:registration_rosterentry_changelist")
            + f"?session__id__exact={session.pk}"
        )
        sizes: dict[str, Any] = {}
        for size in SIZES:
            _grow_roster(session, size - session.enrolments.count())
            sizes[str(size)] = {
                "page": _render(client, roster),
                "all": _render(client, roster + "&all="),
                "sign_in_sheet_ms": _sheet_ms(session),
            }
        visitor = Client(HTTP_HOST="127.0.0.1")
        home = {
            "cold": _render(visitor, HOME, clear_cache=True),
            "warm": _render(visitor, HOME),
        }
    finally:
        connections.close_all()
    return {
        "session": {"id": session.pk, "title": str(session)},
        "roster_path": roster,
        "sizes": sizes,
        "home": home,
    }


# --------------------------------------------------------------------------------------
# The orchestrating side: `python -m bench roster`
# --------------------------------------------------------------------------------------


def _prepare(env: dict[str, str]) -> None:
    common.manage(["migrate", "--noinput", "--verbosity", "0"], env)
    common.manage(["load_catalog"], env)
    common.manage(["collectstatic", "--noinput", "--verbosity", "0"], env)


def _summarise(measured: dict[str, Any]) -> dict[str, Any]:
    small, large = (measured["sizes"][str(size)] for size in SIZES)
    home = measured["home"]
    constant = {view: small[view]["queries"] == large[view]["queries"] for view in ("page", "all")}

    def view(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if k != "sql"}

    roster: dict[str, Any] = {}
    for size in SIZES:
        entry = measured["sizes"][str(size)]
        roster[str(size)] = {
            "page": view(entry["page"]),
            "show_all": view(entry["all"]),
            "sign_in_sheet_ms": entry["sign_in_sheet_ms"],
        }
    result: dict[str, Any] = {
        "benchmark": NAME,
        "timestamp": common.now_iso(),
        "revision": common.git_revision(),
        "machine": common.machine_info(redis_url=f"{common.REDIS_SERVER}/{REDIS_DB}"),
        "setup": {
            "client": "Django test client in one process, signed in as a superuser",
            "settings": "DEBUG=0, HTTPS unset, CONN_MAX_AGE=60, Redis cache, PostgreSQL",
            "renders_per_page": RENDERS,
            "warmup_renders": WARMUP_RENDERS,
            "roster": measured["roster_path"],
            "session": measured["session"]["title"],
            "sizes": list(SIZES),
        },
        "roster": roster,
        "home": {
            "path": HOME,
            "cold": view(home["cold"]),
            "warm": view(home["warm"]),
        },
        "ratio_vs_home": {
            "page_500_vs_cold_home": round(
                large["page"]["render_ms"] / home["cold"]["render_ms"], 2
            ),
            "page_500_vs_warm_home": round(
                large["page"]["render_ms"] / home["warm"]["render_ms"], 2
            ),
            "all_500_vs_cold_home": round(large["all"]["render_ms"] / home["cold"]["render_ms"], 2),
        },
        "queries": {
            "page": {
                str(SIZES[0]): small["page"]["queries"],
                str(SIZES[1]): large["page"]["queries"],
            },
            "show_all": {
                str(SIZES[0]): small["all"]["queries"],
                str(SIZES[1]): large["all"]["queries"],
            },
            "constant": all(constant.values()),
        },
        "passed": all(constant.values()),
    }
    if not result["passed"]:
        result["queries"]["sql"] = {
            str(size): measured["sizes"][str(size)]["page"]["sql"] for size in SIZES
        }
    return result


def _print(result: dict[str, Any]) -> None:
    machine = result["machine"]
    roster, home = result["roster"], result["home"]
    print()
    print(
        f"Roster benchmark — {machine['cpu_model']}, {machine['cores']} cores, "
        f"Python {machine['python']}, Django {machine['django']}"
    )
    print(f"{result['setup']['client']}; median of {result['setup']['renders_per_page']} renders")
    rows = []
    for size in SIZES:
        for label, key in (("roster page", "page"), ("roster, show all", "show_all")):
            entry = roster[str(size)][key]
            rows.append(
                [f"{label} ({size})", entry["rows"], entry["queries"], f"{entry['render_ms']:.1f}"]
            )
    for label in ("cold", "warm"):
        entry = home[label]
        rows.append([f"home / ({label})", "—", entry["queries"], f"{entry['render_ms']:.1f}"])
    print(common.table(["page", "rows", "queries", "ms"], rows))
    ratios = result["ratio_vs_home"]
    print(
        f"500-enrolment roster page vs home: {ratios['page_500_vs_cold_home']}x cold, "
        f"{ratios['page_500_vs_warm_home']}x warm; sign-in sheet PDF "
        + ", ".join(f"{size}: {roster[str(size)]['sign_in_sheet_ms']:.0f} ms" for size in SIZES)
    )
    queries = result["queries"]
    print(
        "roster queries "
        + ("constant" if queries["constant"] else "GROW")
        + f" between {SIZES[0]} and {SIZES[1]} enrolments"
    )


def run(options: Options) -> int:
    """Run the roster benchmark; 0 when every page answered, 1 when one errored."""
    print(f"== {NAME}", flush=True)
    redis_url = f"{common.REDIS_SERVER}/{REDIS_DB}"
    try:
        with common.scratch_database(SCRATCH_DB) as database_url:
            env = common.production_env(database_url=database_url, redis_url=redis_url)
            common.flush_redis(redis_url)
            _prepare(env)
            print(
                f"  roster of {SIZES[0]} then {SIZES[1]} enrolments, and the home page", flush=True
            )
            measured = common.run_json_module("bench.roster", ["measure"], env)
            common.flush_redis(redis_url)
    except BenchError as exc:
        print(f"{NAME}: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    result = _summarise(measured)
    path = common.write_results(NAME, result)
    _print(result)
    print(f"written {path.relative_to(common.REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["measure"]:
        raise SystemExit("usage: python -m bench.roster measure (run by `python -m bench roster`)")
    print(json.dumps(measure()))
