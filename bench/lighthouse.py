"""The front-end benchmark: Lighthouse's scores and the bytes each page transfers.

Lighthouse (from npm, the version package-lock.json pins; `make bench` runs `npm ci`)
drives Debian's Chromium, at its default mobile settings (a mid-range phone, simulated
slow 4G), over three pages of the production configuration (gunicorn, DEBUG off, Redis,
PostgreSQL with the seed catalog): the home page and an offering page as an anonymous
visitor, and the cart of a signed-in trainee with a training in it. Each page must score
performance >= 95, accessibility 100, best practices >= 95; the bytes it transfers
(HTML, CSS, JS, images, fonts) are recorded beside the scores.

Results go to bench/results/lighthouse.json. The run fails (non-zero exit) when Lighthouse
cannot run or a page errors; a missed target is reported, not fatal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from . import common
from .common import BenchError, Options

NAME = "lighthouse"
SCRATCH_DB = "polaris_bench_lighthouse"
REDIS_DB = 2
CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = common.REPO_ROOT / "node_modules" / ".bin" / "lighthouse"
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 95}
# Lighthouse counts a page on "localhost" as served securely (best practices: HTTPS).
HOST = "localhost"
PAGES = (
    ("home", "/", False),
    ("offering", "/trainings/module-1/", False),
    ("cart", "/cart/", True),
)
RUN_SECONDS = 180


def _lighthouse(url: str, cookie: str | None, report: Path) -> dict[str, Any]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        f"--only-categories={','.join(TARGETS)}",
        "--output=json",
        f"--output-path={report}",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=RUN_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"Lighthouse did not finish on {url} in {RUN_SECONDS} s") from exc
    if done.returncode != 0 or not report.exists():
        raise BenchError(f"Lighthouse failed on {url} ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(report.read_text())


def _bytes(report: dict[str, Any]) -> dict[str, int]:
    """Bytes transferred, in all and by kind of resource."""
    by_kind: dict[str, int] = {}
    for request in report["audits"]["network-requests"]["details"]["items"]:
        kind = (request.get("resourceType") or "Other").lower()
        by_kind[kind] = by_kind.get(kind, 0) + int(request.get("transferSize") or 0)
    return {"total": sum(by_kind.values()), **dict(sorted(by_kind.items()))}


def _page_result(report: dict[str, Any]) -> dict[str, Any]:
    if report.get("runtimeError"):
        raise BenchError(f"Lighthouse: {report['runtimeError']}")
    final = report["audits"]["network-requests"]["details"]["items"][0]
    if final.get("statusCode") != 200:
        raise BenchError(f"{report['finalDisplayedUrl']} answered {final.get('statusCode')}")
    scores = {name: round((report["categories"][name]["score"] or 0) * 100) for name in TARGETS}
    missed = [
        f"{audit['id']}: {audit['title']}"
        for audit in report["audits"].values()
        if audit.get("scoreDisplayMode") in ("binary", "metricSavings", "numeric")
        and audit.get("score") is not None
        and audit["score"] < 0.9
    ]
    return {
        "url": report["finalDisplayedUrl"],
        "scores": scores,
        "passed": all(scores[name] >= target for name, target in TARGETS.items()),
        "bytes": _bytes(report),
        "metrics_ms": {
            key: round(report["audits"][key]["numericValue"])
            for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")
        },
        "cumulative_layout_shift": round(
            report["audits"]["cumulative-layout-shift"]["numericValue"], 3
        ),
        "audits_below_90": missed,
        "load_avg": common.load_average(),
    }


def _print(result: dict[str, Any]) -> None:
    print()
    print(
        f"Lighthouse {result['lighthouse']} (mobile, simulated throttling), Chromium "
        f"{result['chromium']}"
    )
    headers = [
        "page",
        "perf",
        ">=95",
        "a11y",
        "=100",
        "best pr.",
        ">=95",
        "bytes",
        "html",
        "css",
        "js",
        "load",
    ]
    rows = []
    for name, page in result["pages"].items():
        s, b = page["scores"], page["bytes"]
        rows.append(
            [
                name,
                s["performance"],
                "pass" if s["performance"] >= TARGETS["performance"] else "FAIL",
                s["accessibility"],
                "pass" if s["accessibility"] >= TARGETS["accessibility"] else "FAIL",
                s["best-practices"],
                "pass" if s["best-practices"] >= TARGETS["best-practices"] else "FAIL",
                f"{b['total']:,}",
                f"{b.get('document', 0):,}",
                f"{b.get('stylesheet', 0):,}",
                f"{b.get('script', 0):,}",
                page["load_avg"],
            ]
        )
    print(common.table(headers, rows))
    for name, page in result["pages"].items():
        for missed in page["audits_below_90"]:
            print(f"  {name}: {missed}")


def run(options: Options) -> int:
    """Run Lighthouse over the pages; 0 when every page was measured, 1 otherwise."""
    print(f"== {NAME}", flush=True)
    redis_url = f"{common.REDIS_SERVER}/{REDIS_DB}"
    pages: dict[str, Any] = {}
    try:
        if not LIGHTHOUSE.exists():
            raise BenchError("Lighthouse is not installed (`make bench` runs `npm ci`)")
        if not shutil.which(CHROMIUM):
            raise BenchError(f"{CHROMIUM} is missing (apt-get install chromium)")
        with common.scratch_database(SCRATCH_DB) as database_url:
            env = common.production_env(database_url=database_url, redis_url=redis_url)
            env["ALLOWED_HOSTS"] = f"127.0.0.1,{HOST}"
            common.flush_redis(redis_url)
            common.manage(["migrate", "--noinput", "--verbosity", "0"], env)
            common.manage(["load_catalog"], env)
            common.manage(["collectstatic", "--noinput", "--verbosity", "0"], env)
            trainee = common.run_json_module("bench.lighthouse_setup", [], env)
            with (
                common.gunicorn(env, workers=options.workers) as base,
                tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as scratch,
            ):
                base = base.replace("127.0.0.1", HOST)
                for name, path, signed_in in PAGES:
                    cookie = f"sessionid={trainee['sessionid']}" if signed_in else None
                    print(f"  lighthouse {name} {path}", flush=True)
                    report = _lighthouse(base + path, cookie, Path(scratch) / f"{name}.json")
                    pages[name] = _page_result(report)
                    version = report["lighthouseVersion"]
                    chromium = report["environment"]["hostUserAgent"]
    except BenchError as exc:
        return common.failed(NAME, exc)
    result = {
        "benchmark": NAME,
        "timestamp": common.now_iso(),
        "revision": common.git_revision(),
        "lighthouse": version,
        "chromium": chromium.split("Chrome/")[-1].split()[0],
        "settings": "mobile form factor, simulated throttling (Lighthouse defaults)",
        "targets": TARGETS,
        "passed": all(page["passed"] for page in pages.values()),
        "pages": pages,
    }
    path = common.report(NAME, result, _print)
    return 0
