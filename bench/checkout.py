"""The checkout benchmark: how fast orders are placed with 32 trainees at once, next to one;
and whether a crowd racing for the last seats of a session ever gets more than it holds.

The production stack of the catalog benchmark (gunicorn sync workers, DEBUG off, Redis,
PostgreSQL with persistent connections) on its own scratch database, loaded with the seed
catalog; bench/checkout_setup.py adds trainees with complete profiles, each already signed
in (a Django session whose key the client sends as its `sessionid` cookie), and sessions
of Module 1 and the Music Module with room for every order.

A client does what a trainee's browser does, over HTTP: GET /cart/ (the CSRF token),
POST /cart/add/ {session}, POST /cart/checkout/ {payment_method: offline} (Stripe is not
configured), and expects the redirect to /orders/<code>/. Every order is a fresh trainee.
Clients are threads of this process on http.client, so they stay light next to the server
(the cores are shared). Phases with 1 client and with 32 run for a fixed time each
(--duration, at least 10 s), in interleaved rounds, so drift hits both alike; the ratio
of their orders/s (medians of the rounds) is compared with a target. A phase's rate counts
every order it started, over the time until the last one finished.

Then the race: a session with 10 seats and 32 trainees who have it in their cart press
"Place order" at the same moment, against a server with more workers so that many
checkouts are really in flight together. Seats taken afterwards (confirmed, or held and
unexpired, counted in the tables) must not exceed the capacity.

Results go to bench/results/checkout.json. The run fails (non-zero exit) when a request
errors (any 5xx) or an order does not go as a trainee's would; a missed target is reported.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from . import common
from .common import BenchError, Options

NAME = "checkout"
TARGET_RATIO = 0.5
TARGET_OVERSOLD = 0
SCRATCH_DB = "polaris_bench_checkout"
REDIS_DB = 3

CLIENTS = 32
RACE_CLIENTS = 32
RACE_CAPACITY = 10
# The race's server: enough sync workers that many checkouts overlap in PostgreSQL.
RACE_WORKERS = 8
# Trainees signed in for the throughput phases; a phase that uses them up stops early.
TRAINEES = 6000
# A 32-client order takes a couple of seconds: shorter phases would be mostly ramp and drain.
MIN_PHASE_SECONDS = 10
REQUEST_TIMEOUT = 60.0
MAX_ERROR_SAMPLES = 10

_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
_ORDER_URL = re.compile(r"^/orders/([A-Z0-9-]+)/$")
_FULL = b"session is full"


# --------------------------------------------------------------------------------------
# One trainee's browser
# --------------------------------------------------------------------------------------


class OrderFailed(Exception):
    """A request errored, or answered what a trainee's browser would not expect."""

    def __init__(self, step: str, detail: str, *, status: int | None = None, body: bytes = b""):
        self.step = step
        self.status = status
        self.body = body
        super().__init__(f"{step}: {detail}")

    @property
    def server_error(self) -> bool:
        return self.status is not None and self.status >= 500


@dataclass
class Reply:
    status: int
    location: str
    body: bytes


class Browser:
    """A trainee's browser: a cookie jar, and one connection to the server.

    Gunicorn's sync workers close the connection after each reply; http.client opens a
    new one for the next request by itself.
    """

    def __init__(self, base: str, session_key: str) -> None:
        parts = urlsplit(base)
        self.netloc = parts.netloc
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT)
        self.cookies: dict[str, str] = {"sessionid": session_key}
        self.statuses: Counter[int] = Counter()

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, form: dict[str, Any] | None = None) -> Reply:
        headers = {
            "Host": self.netloc,
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
            "User-Agent": "polaris-bench",
        }
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            raise OrderFailed(f"{method} {path}", f"{type(exc).__name__}: {exc}") from exc
        self.statuses[response.status] += 1
        for header in response.headers.get_all("Set-Cookie") or ():
            self._remember(header)
        return Reply(response.status, response.headers.get("Location", ""), data)

    def _remember(self, header: str) -> None:
        jar = SimpleCookie()
        with contextlib.suppress(CookieError):
            jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.coded_value

    def expect(self, step: str, reply: Reply, status: int, location: str | None = None) -> None:
        if reply.status != status or (location is not None and reply.location != location):
            got = f"{reply.status}" + (f" to {reply.location}" if reply.location else "")
            want = f"{status}" + (f" to {location}" if location else "")
            raise OrderFailed(
                step, f"answered {got}, not {want}", status=reply.status, body=reply.body
            )


def _cart(browser: Browser) -> bytes:
    reply = browser.request("GET", "/cart/")
    browser.expect("GET /cart/", reply, 200)
    return reply.body


def _fill_cart(browser: Browser, session_id: int) -> str:
    """Open the cart (for its CSRF token) and add the session; the token."""
    page = _cart(browser)
    match = _CSRF_INPUT.search(page)
    if match is None:
        raise OrderFailed("GET /cart/", "no CSRF token on the cart page", status=200, body=page)
    token = match.group(1).decode()
    reply = browser.request(
        "POST", "/cart/add/", {"csrfmiddlewaretoken": token, "session": session_id}
    )
    browser.expect("POST /cart/add/", reply, 302, "/cart/")
    return token


def _checkout(browser: Browser, token: str) -> Reply:
    reply = browser.request(
        "POST", "/cart/checkout/", {"csrfmiddlewaretoken": token, "payment_method": "offline"}
    )
    browser.expect("POST /cart/checkout/", reply, 302)
    return reply


def _placed(reply: Reply) -> bool:
    return bool(_ORDER_URL.match(reply.location))


# --------------------------------------------------------------------------------------
# Throughput phases
# --------------------------------------------------------------------------------------


class Pool:
    """The signed-in trainees not used yet, handed out one order at a time."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = list(keys)
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> tuple[int, str] | None:
        with self._lock:
            if self._next >= len(self._keys):
                return None
            index = self._next
            self._next += 1
        return index, self._keys[index]

    @property
    def used(self) -> int:
        return self._next

    @property
    def size(self) -> int:
        return len(self._keys)


@dataclass
class PhaseRun:
    clients: int
    seconds: float = 0.0
    orders: int = 0
    order_ms: list[float] = field(default_factory=list)
    checkout_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[OrderFailed] = field(default_factory=list)
    exhausted: bool = False

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0


def _phase(
    base: str, pool: Pool, session_ids: Sequence[int], *, clients: int, duration: float
) -> PhaseRun:
    """CLIENTS trainees at a time place orders for DURATION seconds, each with a new trainee."""
    run = PhaseRun(clients=clients)
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + duration
    finished: list[float] = []

    def client() -> None:
        while time.perf_counter() < deadline:
            taken = pool.take()
            if taken is None:
                run.exhausted = True
                break
            index, key = taken
            browser = Browser(base, key)
            begin = time.perf_counter()
            try:
                token = _fill_cart(browser, session_ids[index % len(session_ids)])
                paid = time.perf_counter()
                reply = _checkout(browser, token)
                if not _placed(reply):
                    raise OrderFailed(
                        "POST /cart/checkout/",
                        f"refused (redirected to {reply.location}) though seats are plenty",
                        status=reply.status,
                    )
            except OrderFailed as failure:
                with lock:
                    run.failures.append(failure)
                    run.statuses.update(browser.statuses)
                continue
            finally:
                browser.close()
            end = time.perf_counter()
            with lock:
                run.orders += 1
                run.order_ms.append((end - begin) * 1000)
                run.checkout_ms.append((end - paid) * 1000)
                run.statuses.update(browser.statuses)
        with lock:
            finished.append(time.perf_counter())

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = max(finished, default=deadline) - started
    return run


def _verify(base: str, pool: Pool, session_ids: Sequence[int]) -> None:
    """One order placed step by step before anything is measured, or a readable failure."""
    taken = pool.take()
    if taken is None:
        raise BenchError("no trainee to verify the checkout with")
    browser = Browser(base, taken[1])
    try:
        token = _fill_cart(browser, session_ids[0])
        reply = _checkout(browser, token)
        if not _placed(reply):
            page = _cart(browser)
            raise OrderFailed("POST /cart/checkout/", f"refused:\n{_alerts(page)}")
        order = browser.request("GET", reply.location)
        browser.expect(f"GET {reply.location}", order, 200)
    except OrderFailed as failure:
        raise BenchError(f"a trainee's order does not go through: {_describe(failure)}") from None
    finally:
        browser.close()
    print(f"  verify    one order placed, {reply.location}", flush=True)


def _alerts(page: bytes) -> str:
    found = re.findall(rb'<div class="alert[^>]*>(.*?)</div>', page, re.S)
    text = [re.sub(rb"<[^>]+>|\s+", b" ", a).decode(errors="replace").strip() for a in found]
    return "\n".join(text) or page[:2000].decode(errors="replace")


def _describe(failure: OrderFailed) -> str:
    text = str(failure)
    if failure.body:
        body = failure.body.decode(errors="replace")
        text += "\n" + (_alerts(failure.body) if "<html" in body[:500].lower() else body[:1500])
    return text


def _phase_seconds(options: Options) -> int:
    return max(options.duration, MIN_PHASE_SECONDS)


def _load(
    base: str, pool: Pool, session_ids: Sequence[int], options: Options
) -> dict[int, list[PhaseRun]]:
    """Warm up, then interleave 1-client and 32-client phases for the rounds."""
    warm = _phase(base, pool, session_ids, clients=CLIENTS, duration=options.warmup)
    print(f"  warmup    {CLIENTS:>2} clients {warm.rate:>7.1f} orders/s", flush=True)
    runs: dict[int, list[PhaseRun]] = {1: [], CLIENTS: []}
    runs_warmup = [warm]
    for round_ in range(1, options.rounds + 1):
        for clients in runs:
            run = _phase(base, pool, session_ids, clients=clients, duration=_phase_seconds(options))
            runs[clients].append(run)
            note = f", {len(run.failures)} failed" if run.failures else ""
            note += ", out of trainees" if run.exhausted else ""
            print(
                f"  round {round_}   {clients:>2} clients {run.rate:>7.1f} orders/s "
                f"({run.orders} in {run.seconds:.1f} s{note})",
                flush=True,
            )
    runs[0] = runs_warmup
    return runs


# --------------------------------------------------------------------------------------
# The race for the last seats
# --------------------------------------------------------------------------------------


@dataclass
class RaceRun:
    clients: int
    outcomes: Counter[str] = field(default_factory=Counter)
    checkout_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[OrderFailed] = field(default_factory=list)
    seconds: float = 0.0


def _race(base: str, keys: Sequence[str], session_id: int) -> RaceRun:
    """Every racer fills their cart, then all press "Place order" at the same moment."""
    run = RaceRun(clients=len(keys))
    lock = threading.Lock()
    ready = threading.Barrier(len(keys) + 1)
    go = threading.Event()

    def racer(key: str) -> None:
        browser = Browser(base, key)
        try:
            _race_one(browser)
        except OrderFailed as failure:
            with lock:
                run.failures.append(failure)
        finally:
            browser.close()
            with lock:
                run.statuses.update(browser.statuses)

    def _race_one(browser: Browser) -> None:
        try:
            token = _fill_cart(browser, session_id)
        finally:
            # Ready or not, never leave the others waiting at the line.
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.wait(timeout=120)
        if not go.wait(timeout=180) or ready.broken:
            raise OrderFailed("the race", "did not start: not every racer got ready")
        begin = time.perf_counter()
        reply = _checkout(browser, token)
        took = (time.perf_counter() - begin) * 1000
        if _placed(reply):
            outcome = "placed"
        elif reply.location == "/cart/":
            # The checkout sends a refused trainee back to the cart, which says why.
            outcome = "full" if _FULL in _cart(browser) else "refused"
        else:
            raise OrderFailed("POST /cart/checkout/", f"redirected to {reply.location}", status=302)
        with lock:
            run.outcomes[outcome] += 1
            run.checkout_ms.append(took)

    threads = [threading.Thread(target=racer, args=(key,), daemon=True) for key in keys]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=120)
    except threading.BrokenBarrierError as exc:
        go.set()
        raise BenchError("the racers did not all get ready within 120 s") from exc
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    return run


# --------------------------------------------------------------------------------------
# Setup, audit, results
# --------------------------------------------------------------------------------------


def _helper(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run bench/checkout_setup.py in the bench environment; its JSON report."""
    return common.run_json_module("bench.checkout_setup", args, env)


def _prepare(env: dict[str, str]) -> dict[str, Any]:
    common.manage(["migrate", "--noinput", "--verbosity", "0"], env)
    common.manage(["load_catalog"], env)
    common.manage(["collectstatic", "--noinput", "--verbosity", "0"], env)
    print(
        f"  checkout_setup: {TRAINEES} + {RACE_CLIENTS} signed-in trainees, bench sessions",
        flush=True,
    )
    started = time.perf_counter()
    setup = _helper(["setup", str(TRAINEES), str(RACE_CLIENTS), str(RACE_CAPACITY)], env)
    print(f"  set up in {time.perf_counter() - started:.1f} s", flush=True)
    return setup


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    if len(values) == 1:
        return {p: round(values[0], 1) for p in ("p50", "p90", "p99")}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p90": round(cuts[89], 1), "p99": round(cuts[98], 1)}


def _phase_entry(runs: list[PhaseRun]) -> dict[str, Any]:
    rate = common.median([r.rate for r in runs])
    return {
        "clients": runs[0].clients,
        "orders_per_s": round(rate, 2),
        "orders_per_s_rounds": [round(r.rate, 2) for r in runs],
        "orders": sum(r.orders for r in runs),
        "seconds": round(sum(r.seconds for r in runs), 2),
        "order_latency_ms": _percentiles([ms for r in runs for ms in r.order_ms]),
        "checkout_latency_ms": _percentiles([ms for r in runs for ms in r.checkout_ms]),
        "failed": sum(len(r.failures) for r in runs),
        "ran_out_of_trainees": any(r.exhausted for r in runs),
    }


def _errors(failures: list[OrderFailed], statuses: Counter[int]) -> dict[str, Any]:
    return {
        "count": len(failures),
        "http_5xx": sum(n for status, n in statuses.items() if status >= 500),
        "failed_orders": len(failures),
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
        "samples": [_describe(f)[:1500] for f in failures[:MAX_ERROR_SAMPLES]],
    }


def _summarise(
    *,
    setup: dict[str, Any],
    runs: dict[int, list[PhaseRun]],
    race: RaceRun,
    audit: dict[str, Any],
    pool: Pool,
    options: Options,
) -> dict[str, Any]:
    one, many = _phase_entry(runs[1]), _phase_entry(runs[CLIENTS])
    ratio = many["orders_per_s"] / one["orders_per_s"] if one["orders_per_s"] else 0.0
    race_session = audit["race"]
    oversold = race_session["oversold"]
    all_runs = [r for phase in runs.values() for r in phase]
    failures = [f for r in all_runs for f in r.failures] + race.failures
    statuses = sum((r.statuses for r in all_runs), Counter()) + race.statuses
    placed = sum(r.orders for r in all_runs) + 1 + race.outcomes["placed"]  # +1: the verify
    errors = _errors(failures, statuses)
    if audit["orders"] != placed:
        errors["count"] += 1
        errors["samples"].append(
            f"{placed} orders seen placed by the clients, {audit['orders']} in the database"
        )
    race_entry = {
        "session": race_session["id"],
        "capacity": race_session["capacity"],
        "clients": race.clients,
        "server": f"gunicorn, {RACE_WORKERS} sync workers",
        "placed": race.outcomes["placed"],
        "told_full": race.outcomes["full"],
        "refused_otherwise": race.outcomes["refused"],
        "failed": len(race.failures),
        "seats_taken": race_session["taken"],
        "oversold": oversold,
        "target": TARGET_OVERSOLD,
        "passed": oversold <= TARGET_OVERSOLD,
        "checkout_latency_ms": _percentiles(race.checkout_ms),
        "seconds": round(race.seconds, 2),
    }
    throughput = {
        "1": one,
        str(CLIENTS): many,
        "ratio": round(ratio, 3),
        "target": TARGET_RATIO,
        "passed": ratio >= TARGET_RATIO,
    }
    return {
        **common.result_head(NAME, redis_db=REDIS_DB),
        "setup": {
            "server": f"gunicorn, {options.workers} sync workers",
            "settings": "DEBUG=0, HTTPS unset, CONN_MAX_AGE=60, Redis cache, PostgreSQL",
            "load": (
                "Python clients (threads of one process, http.client), loopback; each order a "
                "fresh signed-in trainee"
            ),
            "order_flow": [
                "GET /cart/",
                "POST /cart/add/ {session}",
                "POST /cart/checkout/ {payment_method: offline} -> 302 /orders/<code>/",
            ],
            "rounds": options.rounds,
            "seconds_per_phase": _phase_seconds(options),
            "warmup_seconds": options.warmup,
            "order": ["1 client", f"{CLIENTS} clients"],
            "sessions": setup["sessions"],
            "trainees": {"prepared": pool.size, "used": pool.used, "racers": race.clients},
        },
        "target_ratio": TARGET_RATIO,
        "passed": throughput["passed"] and race_entry["passed"] and errors["count"] == 0,
        "throughput": throughput,
        "warmup": _phase_entry(runs[0]),
        "oversold": race_entry,
        "audit": {
            "orders_in_database": audit["orders"],
            "orders_seen_placed": placed,
            "sessions_oversold": audit["sessions_oversold"],
            "throughput_sessions": audit["throughput"],
        },
        "errors": errors,
    }


def _print(result: dict[str, Any]) -> None:
    throughput = result["throughput"]
    rows = []
    for key in ("1", str(CLIENTS)):
        entry = throughput[key]
        latency, checkout = entry["order_latency_ms"], entry["checkout_latency_ms"]
        first = key == "1"
        rows.append(
            [
                entry["clients"],
                f"{entry['orders_per_s']:.1f}",
                " ".join(f"{r:.1f}" for r in entry["orders_per_s_rounds"]),
                entry["orders"],
                f"{latency.get('p50', 0):.0f}",
                f"{latency.get('p90', 0):.0f}",
                f"{latency.get('p99', 0):.0f}",
                f"{checkout.get('p50', 0):.0f}",
                "1.00" if first else f"{throughput['ratio']:.2f}",
                "—" if first else ("pass" if throughput["passed"] else "FAIL"),
            ]
        )
    headers = [
        "clients",
        "orders/s",
        "rounds",
        "orders",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "checkout p50",
        "ratio",
        f">={result['target_ratio']}",
    ]
    machine, setup = result["machine"], result["setup"]
    race, errors = result["oversold"], result["errors"]
    print()
    print(
        f"Checkout benchmark — {machine['cpu_model']}, {machine['cores']} cores, "
        f"Python {machine['python']}, Django {machine['django']}"
    )
    print(
        f"{setup['server']}; Python clients (threads, http.client); median of "
        f"{setup['rounds']} rounds of {setup['seconds_per_phase']} s per phase"
    )
    print(common.table(headers, rows))
    print("latencies are of a whole order (3 requests); checkout p50 is its POST alone")
    print(
        f"race: {race['clients']} clients at once for {race['capacity']} seats "
        f"({race['server']}): {race['placed']} placed, {race['told_full']} told full, "
        f"{race['refused_otherwise']} refused otherwise; seats taken {race['seats_taken']}, "
        f"oversold {race['oversold']} (target {race['target']}) "
        f"{'pass' if race['passed'] else 'FAIL'}"
    )
    audit = result["audit"]
    print(
        f"orders: {audit['orders_seen_placed']} placed by the clients, "
        f"{audit['orders_in_database']} in the database; sessions oversold anywhere: "
        f"{len(audit['sessions_oversold'])}"
    )
    print(f"errors: {errors['count']} (5xx responses: {errors['http_5xx']})")
    for sample in errors["samples"][:3]:
        print(f"  {sample.splitlines()[0] if sample else sample}")


def run(options: Options) -> int:
    """Run the checkout benchmark; 0 when every order went as expected, 1 otherwise."""
    print(f"== {NAME}", flush=True)
    redis_url = f"{common.REDIS_SERVER}/{REDIS_DB}"
    try:
        with common.scratch_database(SCRATCH_DB) as database_url:
            env = common.production_env(database_url=database_url, redis_url=redis_url)
            common.flush_redis(redis_url)
            try:
                setup = _prepare(env)
                pool = Pool(setup["trainees"])
                session_ids = [s["id"] for s in setup["sessions"]["throughput"]]
                race_id = setup["sessions"]["race"]["id"]
                with common.gunicorn(env, workers=options.workers) as base:
                    _verify(base, pool, session_ids)
                    runs = _load(base, pool, session_ids, options)
                with common.gunicorn(env, workers=RACE_WORKERS) as base:
                    race = _race(base, setup["racers"], race_id)
                print(
                    f"  race      {race.clients} clients, {race.outcomes['placed']} placed, "
                    f"{race.outcomes['full']} told full",
                    flush=True,
                )
                audit = _helper(["audit", str(race_id), *map(str, session_ids)], env)
            finally:
                # The orders queued an email each on the broker: leave no messages behind.
                with contextlib.suppress(BenchError):
                    common.flush_redis(redis_url)
    except BenchError as exc:
        return common.failed(NAME, exc)
    result = _summarise(setup=setup, runs=runs, race=race, audit=audit, pool=pool, options=options)
    common.report(NAME, result, _print)
    if result["errors"]["count"]:
        return common.failed(NAME, f"{result['errors']['count']} errors")
    return 0
