"""The catalog benchmark: how fast the public catalog pages serve, next to a trivial view.

Production settings (DEBUG off, Redis cache, PostgreSQL with persistent connections) on a
scratch database loaded with the seed catalog, served by gunicorn with sync workers. wrk
loads the trivial view (/health/, same middleware) and each catalog page in interleaved
rounds, so drift hits every URL alike; each page's requests/s (median of its rounds) is
compared with the trivial view's, against a target ratio. Then the pages' query counts
are taken on the seed catalog and on a catalog ten times its size (bench/catalog_queries.py):
they must not grow with it.

Results go to bench/results/catalog.json. The run fails (non-zero exit) when a page
errors; a missed target or a growing query count is reported, not fatal.
"""

from __future__ import annotations

import sys
from typing import Any

from . import common
from .common import BenchError, Options

NAME = "catalog"
TARGET_RATIO = 0.5
SCRATCH_DB = "polaris_bench"
REDIS_DB = 2

TRIVIAL = ("trivial", "/health/")
PAGES = (("home", "/"), ("offering", "/trainings/module-1/"))


def _prepare(env: dict[str, str]) -> None:
    common.manage(["migrate", "--noinput", "--verbosity", "0"], env)
    common.manage(["load_catalog"], env)
    common.manage(["collectstatic", "--noinput", "--verbosity", "0"], env)


def _verify(base: str, urls: list[tuple[str, str]]) -> None:
    """Every URL must answer 200 (no redirect, no error page) before it is measured."""
    for name, path in urls:
        status, body = common.http_get(base + path)
        if status != 200:
            raise BenchError(
                f"{name} {path} answered {status}:\n{body[:2000].decode(errors='replace')}"
            )
        print(f"  {name:<9} {path:<24} 200, {len(body):,} bytes", flush=True)


def _load(
    base: str, urls: list[tuple[str, str]], options: Options
) -> dict[str, list[common.WrkRun]]:
    """Warm up each URL, then run the interleaved rounds; every run's wrk report, by URL name."""
    for _, path in urls:
        common.wrk(base + path, duration=options.warmup, connections=options.connections)
    runs: dict[str, list[common.WrkRun]] = {name: [] for name, _ in urls}
    for round_ in range(1, options.rounds + 1):
        for name, path in urls:
            run = common.wrk(
                base + path, duration=options.duration, connections=options.connections
            )
            if not run.ok:
                raise BenchError(
                    f"{name} {path}: {run.non_2xx} non-2xx responses of {run.requests} "
                    f"in round {round_}"
                )
            runs[name].append(run)
            print(f"  round {round_}  {name:<9} {run.rps:>9.1f} req/s", flush=True)
    return runs


def _query_counts(env: dict[str, str]) -> dict[str, Any]:
    """Run bench/catalog_queries.py against the bench database; its JSON report."""
    print("  query counts: seed catalog, then grown tenfold", flush=True)
    return common.run_json_module("bench.catalog_queries", [path for _, path in PAGES], env)


def _summarise(
    runs: dict[str, list[common.WrkRun]], counts: dict[str, Any], options: Options
) -> dict[str, Any]:
    trivial_name, _ = TRIVIAL
    trivial_rps = common.median([r.rps for r in runs[trivial_name]])
    urls: dict[str, Any] = {}
    for name, path in (TRIVIAL, *PAGES):
        rps = common.median([r.rps for r in runs[name]])
        entry: dict[str, Any] = {
            "path": path,
            "rps": round(rps, 1),
            "rps_rounds": [round(r.rps, 1) for r in runs[name]],
            "requests": sum(r.requests for r in runs[name]),
            "non_2xx": sum(r.non_2xx for r in runs[name]),
            "socket_errors": {
                kind: sum(r.socket_errors.get(kind, 0) for r in runs[name])
                for kind in ("connect", "read", "write", "timeout")
            },
            "latency_ms_p50": common.median([r.latency_ms.get("p50", 0.0) for r in runs[name]]),
            "latency_ms_p99": common.median([r.latency_ms.get("p99", 0.0) for r in runs[name]]),
        }
        if name != trivial_name:
            ratio = rps / trivial_rps if trivial_rps else 0.0
            seed = counts["seed"]["pages"][path]
            grown = counts["grown"]["pages"][path]
            entry.update(
                ratio=round(ratio, 3),
                target=TARGET_RATIO,
                passed=ratio >= TARGET_RATIO,
                queries={
                    "seed": seed["queries"],
                    f"x{counts['growth']}": grown["queries"],
                    "constant": seed["queries"] == grown["queries"],
                    "cached_visit": {
                        "seed": seed["queries_cached"],
                        "grown": grown["queries_cached"],
                    },
                },
                cold_render_ms={"seed": seed["cold_render_ms"], "grown": grown["cold_render_ms"]},
                bytes={"seed": seed["bytes"], "grown": grown["bytes"]},
            )
            if seed["queries"] != grown["queries"]:
                entry["queries"]["sql"] = {"seed": seed["sql"], "grown": grown["sql"]}
        urls[name] = entry
    return {
        "benchmark": NAME,
        "timestamp": common.now_iso(),
        "revision": common.git_revision(),
        "machine": common.machine_info(redis_url=f"{common.REDIS_SERVER}/{REDIS_DB}"),
        "setup": {
            "server": f"gunicorn, {options.workers} sync workers",
            "settings": "DEBUG=0, HTTPS unset, CONN_MAX_AGE=60, Redis cache, PostgreSQL",
            "load": f"wrk, 1 thread, {options.connections} connections, loopback",
            "rounds": options.rounds,
            "seconds_per_round": options.duration,
            "warmup_seconds": options.warmup,
            "order": [name for name, _ in (TRIVIAL, *PAGES)],
        },
        "target_ratio": TARGET_RATIO,
        "passed": all(urls[name]["passed"] for name, _ in PAGES)
        and all(urls[name]["queries"]["constant"] for name, _ in PAGES),
        "urls": urls,
        "catalog_sizes": {
            "seed": counts["seed"]["sizes"],
            f"x{counts['growth']}": counts["grown"]["sizes"],
        },
    }


def _print(result: dict[str, Any]) -> None:
    urls = result["urls"]
    growth = next(k for k in result["catalog_sizes"] if k != "seed")
    rows = []
    for name, entry in urls.items():
        if "ratio" in entry:
            queries = entry["queries"]
            rows.append(
                [
                    name,
                    entry["path"],
                    f"{entry['rps']:.1f}",
                    f"{entry['ratio']:.2f}",
                    "pass" if entry["passed"] else "FAIL",
                    queries["seed"],
                    queries[growth],
                    f"{entry['cold_render_ms']['seed']:.1f}",
                ]
            )
        else:
            rows.append([name, entry["path"], f"{entry['rps']:.1f}", "1.00", "—", "—", "—", "—"])
    headers = [
        "url",
        "path",
        "req/s",
        "ratio",
        f">={result['target_ratio']}",
        "queries seed",
        f"queries {growth}",
        "cold ms",
    ]
    machine = result["machine"]
    print()
    print(
        f"Catalog benchmark — {machine['cpu_model']}, {machine['cores']} cores, "
        f"Python {machine['python']}, Django {machine['django']}"
    )
    print(f"{result['setup']['server']}; {result['setup']['load']}; ", end="")
    print(
        f"median of {result['setup']['rounds']} rounds of {result['setup']['seconds_per_round']} s"
    )
    print(common.table(headers, rows))
    sizes = result["catalog_sizes"]
    cached = ", ".join(
        f"{name} {urls[name]['queries']['cached_visit']['seed']}" for name, _ in PAGES
    )
    print(
        f"catalog: {sizes['seed']['offerings']} offerings seeded, {sizes[growth]['offerings']} "
        f"grown; queries and cold ms are of an uncached render (a cached visit: {cached})"
    )
    for name, _ in PAGES:
        if not urls[name]["queries"]["constant"]:
            print(f"  {name}: the query count grows with the catalog")


def run(options: Options) -> int:
    """Run the catalog benchmark; 0 when every page answered, 1 when one errored."""
    print(f"== {NAME}", flush=True)
    common.require_wrk()
    redis_url = f"{common.REDIS_SERVER}/{REDIS_DB}"
    urls = [TRIVIAL, *PAGES]
    try:
        with common.scratch_database(SCRATCH_DB) as database_url:
            env = common.production_env(database_url=database_url, redis_url=redis_url)
            common.flush_redis(redis_url)
            _prepare(env)
            with common.gunicorn(env, workers=options.workers, ready_path=TRIVIAL[1]) as base:
                _verify(base, urls)
                runs = _load(base, urls, options)
            counts = _query_counts(env)
    except BenchError as exc:
        print(f"{NAME}: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    result = _summarise(runs, counts, options)
    path = common.write_results(NAME, result)
    _print(result)
    print(f"written {path.relative_to(common.REPO_ROOT)}")
    return 0
