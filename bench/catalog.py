"""The catalog benchmark: how fast the public catalog pages serve, next to two yardsticks.

Production settings (DEBUG off, PostgreSQL with persistent connections) on a scratch
database loaded with the seed catalog, served by gunicorn with sync workers, in two
configurations: the production one (REDIS_URL set: Redis cache) and the embedded default
(no REDIS_URL: the cache in files under var/, SQLite). In each, wrk loads, in interleaved rounds so
that drift hits every URL alike:

- a bare Django view: no middleware, no template, under the same gunicorn (bench/bare.py);
- the trivial view of the project (/health/), behind the project's own middleware;
- each catalog page, as an anonymous visitor (no cookie).

Each page's requests/s (median of its rounds) is compared with both, against a target
ratio for each; the one-minute load average is recorded beside every figure (the machine
may be busy with other work). Then the pages' query counts are taken on the seed catalog
and on a catalog ten times its size (bench/catalog_queries.py): they must not grow with it.

Results go to bench/results/catalog.json. The run fails (non-zero exit) when a page
errors; a missed target or a growing query count is reported, not fatal.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import Any

from . import common
from .common import BenchError, Options

NAME = "catalog"
# A page against the trivial view behind the same middleware, and against a bare view.
TARGET_TRIVIAL = 0.5
TARGET_BARE = 0.8
SCRATCH_DB = "polaris_bench"
REDIS_DB = 2

BARE = ("bare", "/")
TRIVIAL = ("trivial", "/health/")
PAGES = (
    ("home", "/"),
    ("offering", "/trainings/module-1/"),
    ("instructors", "/instructors/"),
    ("calendar", "/calendar/"),
    ("full-training", "/programs/full-training/"),
)
CONFIGS = {
    "redis": "production: REDIS_URL set (Redis cache), PostgreSQL",
    "embedded": "embedded default: no REDIS_URL (cache in files under var/), SQLite",
}


def _prepare(env: dict[str, str]) -> None:
    common.manage(["migrate", "--noinput", "--verbosity", "0"], env)
    common.manage(["load_catalog"], env)
    common.manage(["collectstatic", "--noinput", "--verbosity", "0"], env)


def _verify(urls: list[tuple[str, str]]) -> None:
    """Every URL must answer 200 (no redirect, no error page) before it is measured."""
    for name, url in urls:
        status, body = common.http_get(url)
        if status != 200:
            raise BenchError(
                f"{name} {url} answered {status}:\n{body[:2000].decode(errors='replace')}"
            )
        print(f"  {name:<13} {url:<50} 200, {len(body):,} bytes", flush=True)


def _load(urls: list[tuple[str, str]], options: Options) -> dict[str, list[common.WrkRun]]:
    """Warm up each URL, then run the interleaved rounds; every run's wrk report, by URL name."""
    for _, url in urls:
        common.wrk(url, duration=options.warmup, connections=options.connections)
    runs: dict[str, list[common.WrkRun]] = {name: [] for name, _ in urls}
    for round_ in range(1, options.rounds + 1):
        for name, url in urls:
            run = common.wrk(url, duration=options.duration, connections=options.connections)
            if not run.ok:
                raise BenchError(
                    f"{name} {url}: {run.non_2xx} non-2xx responses of {run.requests} "
                    f"in round {round_}"
                )
            runs[name].append(run)
            print(
                f"  round {round_}  {name:<13} {run.rps:>9.1f} req/s  (load {run.load_avg})",
                flush=True,
            )
    return runs


def _measure(env: dict[str, str], options: Options) -> dict[str, list[common.WrkRun]]:
    """The bare view and the project, each under its own gunicorn, loaded in turn."""
    with (
        common.gunicorn(env, workers=options.workers, app="bench.bare", ready_path="/") as bare,
        common.gunicorn(env, workers=options.workers, ready_path=TRIVIAL[1]) as base,
    ):
        urls = [(BARE[0], bare + BARE[1])] + [
            (name, base + path) for name, path in (TRIVIAL, *PAGES)
        ]
        _verify(urls)
        return _load(urls, options)


@contextlib.contextmanager
def _embedded_env() -> Iterator[dict[str, str]]:
    """The embedded default's environment: no Redis, SQLite in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="bench-embedded-") as scratch:
        env = common.production_env(database_url=f"sqlite:///{scratch}/db.sqlite3", redis_url="")
        yield env


def _query_counts(env: dict[str, str]) -> dict[str, Any]:
    """Run bench/catalog_queries.py against the bench database; its JSON report."""
    print("  query counts: seed catalog, then grown tenfold", flush=True)
    return common.run_json_module("bench.catalog_queries", [path for _, path in PAGES], env)


def _url_entry(path: str, runs: list[common.WrkRun]) -> dict[str, Any]:
    return {
        "path": path,
        "rps": round(common.median([r.rps for r in runs]), 1),
        "rps_rounds": [round(r.rps, 1) for r in runs],
        "load_avg_rounds": [r.load_avg for r in runs],
        "requests": sum(r.requests for r in runs),
        "non_2xx": sum(r.non_2xx for r in runs),
        "socket_errors": {
            kind: sum(r.socket_errors.get(kind, 0) for r in runs)
            for kind in ("connect", "read", "write", "timeout")
        },
        "latency_ms_p50": common.median([r.latency_ms.get("p50", 0.0) for r in runs]),
        "latency_ms_p99": common.median([r.latency_ms.get("p99", 0.0) for r in runs]),
    }


def _summarise_config(runs: dict[str, list[common.WrkRun]]) -> dict[str, Any]:
    urls = {name: _url_entry(path, runs[name]) for name, path in (BARE, TRIVIAL, *PAGES)}
    bare_rps = urls[BARE[0]]["rps"]
    trivial_rps = urls[TRIVIAL[0]]["rps"]
    urls[TRIVIAL[0]]["vs_bare"] = round(trivial_rps / bare_rps, 3) if bare_rps else 0.0
    for name, _ in PAGES:
        entry = urls[name]
        vs_bare = entry["rps"] / bare_rps if bare_rps else 0.0
        vs_trivial = entry["rps"] / trivial_rps if trivial_rps else 0.0
        entry.update(
            vs_bare=round(vs_bare, 3),
            target_bare=TARGET_BARE,
            vs_trivial=round(vs_trivial, 3),
            target_trivial=TARGET_TRIVIAL,
            passed=vs_bare >= TARGET_BARE and vs_trivial >= TARGET_TRIVIAL,
        )
    return {"passed": all(urls[name]["passed"] for name, _ in PAGES), "urls": urls}


def _summarise_queries(counts: dict[str, Any]) -> dict[str, Any]:
    pages = {}
    for name, path in PAGES:
        seed = counts["seed"]["pages"][path]
        grown = counts["grown"]["pages"][path]
        entry = {
            "path": path,
            "seed": seed["queries"],
            f"x{counts['growth']}": grown["queries"],
            "constant": seed["queries"] == grown["queries"],
            "cached_visit": {"seed": seed["queries_cached"], "grown": grown["queries_cached"]},
            "cold_render_ms": {"seed": seed["cold_render_ms"], "grown": grown["cold_render_ms"]},
            "bytes": {"seed": seed["bytes"], "grown": grown["bytes"]},
        }
        if not entry["constant"]:
            entry["sql"] = {"seed": seed["sql"], "grown": grown["sql"]}
        pages[name] = entry
    return {
        "growth": counts["growth"],
        "catalog_sizes": {
            "seed": counts["seed"]["sizes"],
            f"x{counts['growth']}": counts["grown"]["sizes"],
        },
        "pages": pages,
    }


def _summarise(
    runs: dict[str, dict[str, list[common.WrkRun]]], counts: dict[str, Any], options: Options
) -> dict[str, Any]:
    configs = {config: _summarise_config(config_runs) for config, config_runs in runs.items()}
    queries = _summarise_queries(counts)
    return {
        **common.result_head(NAME, redis_db=REDIS_DB),
        "setup": {
            "server": f"gunicorn, {options.workers} sync workers",
            "settings": "DEBUG=0, HTTPS unset, CONN_MAX_AGE=60",
            "configurations": CONFIGS,
            "load": f"wrk, 1 thread, {options.connections} connections, loopback",
            "rounds": options.rounds,
            "seconds_per_round": options.duration,
            "warmup_seconds": options.warmup,
            "order": [name for name, _ in (BARE, TRIVIAL, *PAGES)],
            "visitor": "anonymous, no cookie",
        },
        "targets": {"vs_bare": TARGET_BARE, "vs_trivial": TARGET_TRIVIAL},
        "passed": all(c["passed"] for c in configs.values())
        and all(p["constant"] for p in queries["pages"].values()),
        "configs": configs,
        "queries": queries,
    }


def _load_range(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:.1f}" if low == high else f"{low:.1f}-{high:.1f}"


def _print(result: dict[str, Any]) -> None:
    machine = result["machine"]
    setup = result["setup"]
    print()
    print(
        f"Catalog benchmark — {machine['cpu_model']}, {machine['cores']} cores, "
        f"Python {machine['python']}, Django {machine['django']}"
    )
    print(
        f"{setup['server']}; {setup['load']}; median of {setup['rounds']} rounds of "
        f"{setup['seconds_per_round']} s; anonymous visitor; load = 1-min load average"
    )
    headers = [
        "url",
        "path",
        "req/s",
        "load",
        "vs bare",
        f">={TARGET_BARE}",
        "vs trivial",
        f">={TARGET_TRIVIAL}",
    ]
    for config, summary in result["configs"].items():
        print(f"\n{config}: {setup['configurations'][config]}")
        rows = []
        for name, entry in summary["urls"].items():
            load = _load_range(entry["load_avg_rounds"])
            if name == BARE[0]:
                rows.append(
                    [name, "bench.bare", f"{entry['rps']:.1f}", load, "1.00", "—", "—", "—"]
                )
            elif name == TRIVIAL[0]:
                rps, vs_bare = f"{entry['rps']:.1f}", f"{entry['vs_bare']:.2f}"
                rows.append([name, entry["path"], rps, load, vs_bare, "—", "1.00", "—"])
            else:
                rows.append(
                    [
                        name,
                        entry["path"],
                        f"{entry['rps']:.1f}",
                        load,
                        f"{entry['vs_bare']:.2f}",
                        "pass" if entry["vs_bare"] >= TARGET_BARE else "FAIL",
                        f"{entry['vs_trivial']:.2f}",
                        "pass" if entry["vs_trivial"] >= TARGET_TRIVIAL else "FAIL",
                    ]
                )
        print(common.table(headers, rows))
    queries = result["queries"]
    growth = f"x{queries['growth']}"
    sizes = queries["catalog_sizes"]
    print(
        f"\nqueries of an uncached render ({sizes['seed']['offerings']} offerings seeded, "
        f"{sizes[growth]['offerings']} grown) and of a cached visit"
    )
    rows = [
        [
            name,
            entry["seed"],
            entry[growth],
            "pass" if entry["constant"] else "FAIL",
            entry["cached_visit"]["seed"],
            f"{entry['cold_render_ms']['seed']:.1f}",
        ]
        for name, entry in queries["pages"].items()
    ]
    print(
        common.table(
            ["url", "queries seed", f"queries {growth}", "constant", "cached visit", "cold ms"],
            rows,
        )
    )


def run(options: Options) -> int:
    """Run the catalog benchmark; 0 when every page answered, 1 when one errored."""
    print(f"== {NAME}", flush=True)
    common.require_wrk()
    redis_url = f"{common.REDIS_SERVER}/{REDIS_DB}"
    runs: dict[str, dict[str, list[common.WrkRun]]] = {}
    try:
        with common.scratch_database(SCRATCH_DB) as database_url:
            env = common.production_env(database_url=database_url, redis_url=redis_url)
            common.flush_redis(redis_url)
            _prepare(env)
            print(f"  {CONFIGS['redis']}", flush=True)
            runs["redis"] = _measure(env, options)
            with _embedded_env() as embedded:
                _prepare(embedded)
                print(f"  {CONFIGS['embedded']}", flush=True)
                runs["embedded"] = _measure(embedded, options)
            counts = _query_counts(env)
    except BenchError as exc:
        return common.failed(NAME, exc)
    result = _summarise(runs, counts, options)
    common.report(NAME, result, _print)
    return 0
