"""The roster benchmark: how long a coordinator waits for a 500-enrolment roster page, next
to the catalog home page in the same run, whether its query count stays put, and how long
the coordinator waits on the printable sign-in sheet.

Production settings (DEBUG off, Redis cache, PostgreSQL with persistent connections) on a
scratch database loaded with the seed catalog. This module then runs itself as
`python -m bench.roster measure` in that environment: a superuser signed in through
Django's test client (the whole middleware stack, no network) requests the roster of one
Module 1 session (the admin changelist with ?session__id__exact=) with 50 enrolments, and
again after growing it to 500, each page's render time being the median of several renders.
Two views of the roster are measured: its default page (100 rows) and "Show all". The home
page is rendered in the same process, with its cache emptied before each render (cold:
every query it needs) and as a visitor usually gets it (warm: cached fragments). The target,
"show all" of 500 within 3x the uncached home page, is measured in pairs (an uncached home
page, then the roster, again and again) so that both see the same load on the machine: the
median of the pairs' ratios.

The sign-in sheet is prepared by a Celery worker (run beside, as in production): for each
roster size, the coordinator's action and the sheet's page are timed as requests (the longest
is the time the coordinator waits on a page, target 2 s), and the sheet's page is read every
0.2 s until it offers the download (the time until the PDF is ready).

Results go to bench/results/roster.json. The run fails (non-zero exit) when a page errors;
a query count that grows with the roster is reported, not fatal.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from typing import Any

from . import common
from .certificates import CONCURRENCY as CELERY_CONCURRENCY
from .certificates import celery_worker
from .common import BenchError, Options

NAME = "roster"
SCRATCH_DB = "polaris_bench_roster"
REDIS_DB = 4
SIZES = (50, 500)
RENDERS = 15
WARMUP_RENDERS = 3
HOME = "/"
PAIRS = 21
SHOW_ALL_TARGET = 3.0  # "show all" of 500 vs the uncached home page
SHEET_REQUEST_TARGET_MS = 2000.0
SHEET_READY_TIMEOUT = 300.0


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


def _paired(client, roster: str, visitor) -> dict[str, Any]:
    """The uncached home page and the roster's "show all", rendered in turn PAIRS times:
    the median of each pair's ratio, and each page's median."""
    from django.core.cache import cache

    def timed(client, path: str) -> float:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return elapsed

    homes, rosters = [], []
    for _ in range(PAIRS):
        cache.clear()
        homes.append(timed(visitor, HOME))
        rosters.append(timed(client, roster))
    ratios = [r / h for r, h in zip(rosters, homes, strict=True)]
    return {
        "pairs": PAIRS,
        "ratio": round(statistics.median(ratios), 2),
        "ratio_range": [round(min(ratios), 2), round(max(ratios), 2)],
        "home_ms": round(statistics.median(homes), 2),
        "show_all_ms": round(statistics.median(rosters), 2),
    }


def _sign_in_sheet(client, roster: str, session) -> dict[str, Any]:
    """The coordinator asks for the whole roster's sign-in sheet and waits for it: each
    request's time, and the time until the sheet's page offers the PDF (rendered by the
    worker)."""
    import re

    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    first = session.enrolments.order_by("pk").values_list("pk", flat=True).first()
    requests_ms: list[float] = []

    def timed(method, *args, **kwargs):
        started = time.perf_counter()
        response = method(*args, **kwargs)
        requests_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code not in (200, 302):
            raise SystemExit(f"{args[0]} answered {response.status_code}")
        return response

    started = time.perf_counter()
    action = timed(
        client.post,
        roster,
        {
            "action": "sign_in_sheet",
            "index": 0,
            "select_across": "1",
            ACTION_CHECKBOX_NAME: [first],
        },
    )
    page_url = action["Location"]
    polls = 0
    while True:
        page = timed(client.get, page_url)
        polls += 1
        link = re.search(r'id="sign-in-sheet-download" href="([^"]+)"', page.content.decode())
        if link:
            ready_s = time.perf_counter() - started
            break
        if "could not be prepared" in page.content.decode():
            raise SystemExit("the worker could not prepare the sign-in sheet")
        if time.perf_counter() - started > SHEET_READY_TIMEOUT:
            raise SystemExit(f"the sign-in sheet was not ready within {SHEET_READY_TIMEOUT:.0f}s")
        time.sleep(0.2)
    download = timed(client.get, link.group(1))
    if not download.content.startswith(b"%PDF-"):
        raise SystemExit("the sign-in sheet's download is not a PDF")
    return {
        "action_ms": round(requests_ms[0], 1),
        "page_ms_median": round(statistics.median(requests_ms[1:-1]), 1),
        "download_ms": round(requests_ms[-1], 1),
        "longest_request_ms": round(max(requests_ms), 1),
        "ready_s": round(ready_s, 2),
        "page_views": polls,
        "pdf_bytes": len(download.content),
    }


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
                "sign_in_sheet": _sign_in_sheet(client, roster, session),
            }
        visitor = Client(HTTP_HOST="127.0.0.1")
        home = {
            "cold": _render(visitor, HOME, clear_cache=True),
            "warm": _render(visitor, HOME),
        }
        paired = _paired(client, roster + "&all=", visitor)
    finally:
        connections.close_all()
    return {
        "session": {"id": session.pk, "title": str(session)},
        "roster_path": roster,
        "sizes": sizes,
        "home": home,
        "paired": paired,
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
            "sign_in_sheet": entry["sign_in_sheet"],
        }
    result: dict[str, Any] = {
        **common.result_head(NAME, redis_db=REDIS_DB),
        "setup": {
            "client": "Django test client in one process, signed in as a superuser",
            "settings": "DEBUG=0, HTTPS unset, CONN_MAX_AGE=60, Redis cache, PostgreSQL",
            "renders_per_page": RENDERS,
            "warmup_renders": WARMUP_RENDERS,
            "roster": measured["roster_path"],
            "session": measured["session"]["title"],
            "sizes": list(SIZES),
            "pairs": f"{PAIRS} pairs: the uncached home page, then the roster's show all",
            "sign_in_sheet": "prepared by a Celery worker (prefork, concurrency "
            f"{CELERY_CONCURRENCY}) on Redis; the sheet's page read every 0.2 s until ready",
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
            # The target's figure: the median ratio of pairs rendered in turn.
            "show_all_500_vs_cold_home_paired": measured["paired"],
        },
        "targets": {
            "show_all_500_vs_cold_home": {
                "measured": measured["paired"]["ratio"],
                "target": f"<= {SHOW_ALL_TARGET}",
                "met": measured["paired"]["ratio"] <= SHOW_ALL_TARGET,
            },
            "sign_in_sheet_500_longest_request_ms": {
                "measured": large["sign_in_sheet"]["longest_request_ms"],
                "target": f"<= {SHEET_REQUEST_TARGET_MS:.0f}",
                "met": large["sign_in_sheet"]["longest_request_ms"] <= SHEET_REQUEST_TARGET_MS,
            },
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
    result["targets_met"] = all(t["met"] for t in result["targets"].values())
    if not result["passed"]:
        result["queries"]["sql"] = {
            str(size): measured["sizes"][str(size)]["page"]["sql"] for size in SIZES
        }
    return result


def _met(met: bool) -> str:
    return "met" if met else "MISSED"


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
    paired = ratios["show_all_500_vs_cold_home_paired"]
    print(
        f"500-enrolment roster page vs home: {ratios['page_500_vs_cold_home']}x cold, "
        f"{ratios['page_500_vs_warm_home']}x warm"
    )
    low, high = paired["ratio_range"]
    print(
        f"show all (500) ÷ uncached home: {paired['show_all_ms']:.1f} vs {paired['home_ms']:.1f} ms,"
        f" median of {paired['pairs']} pairs {paired['ratio']} ({low} – {high}); "
        f"target <= {SHOW_ALL_TARGET:g}: {_met(paired['ratio'] <= SHOW_ALL_TARGET)}"
    )
    for size in SIZES:
        sheet = roster[str(size)]["sign_in_sheet"]
        print(
            f"sign-in sheet ({size}), by the worker: longest request "
            f"{sheet['longest_request_ms']:.0f} ms (action {sheet['action_ms']:.0f} ms, page "
            f"{sheet['page_ms_median']:.0f} ms, download {sheet['download_ms']:.0f} ms), target "
            f"<= {SHEET_REQUEST_TARGET_MS / 1000:g} s: "
            f"{_met(sheet['longest_request_ms'] <= SHEET_REQUEST_TARGET_MS)}; "
            f"ready after {sheet['ready_s']:.1f} s"
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
    try:
        with (
            common.scratch_env(SCRATCH_DB, redis_db=REDIS_DB) as env,
            tempfile.TemporaryDirectory(prefix="bench-roster-") as media,
        ):
            env.update(MEDIA_ROOT=media)
            _prepare(env)
            print(
                f"  roster of {SIZES[0]} then {SIZES[1]} enrolments, and the home page", flush=True
            )
            with celery_worker(env):
                measured = common.run_json_module("bench.roster", ["measure"], env)
    except BenchError as exc:
        return common.failed(NAME, exc)
    result = _summarise(measured)
    common.report(NAME, result, _print)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["measure"]:
        raise SystemExit("usage: python -m bench.roster measure (run by `python -m bench roster`)")
    print(json.dumps(measure()))
