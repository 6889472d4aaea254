"""What every benchmark needs: the production environment, scratch services, gunicorn and wrk.

Nothing here knows about a particular page; a benchmark module composes these pieces.
Paths derive from this file's location, so the harness runs from any checkout.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"

# The Makefile passes its PG_SERVER and REDIS_SERVER; these defaults are the same.
PG_SERVER = os.environ.get("PG_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis://127.0.0.1:6379")

# Settings that would make the bench differ from plain production over HTTP.
_UNSET_FOR_BENCH = (
    "HTTPS",
    "SECURE_HSTS_SECONDS",
    "CACHE_KEY_PREFIX",
    "CATALOG_CACHE_SECONDS",
    "DJANGO_SETTINGS_MODULE",
    "PYTHONPATH",
)


# How long a server may take to answer its first request. Generous: on a machine busy with
# other work, starting Django in each worker can take many times its idle time.
READY_SECONDS = 120


def load_average() -> float:
    """The machine's one-minute load average, reported beside each figure."""
    return round(os.getloadavg()[0], 2)


class BenchError(Exception):
    """A step failed or a page answered with an error: the run is not valid."""


@dataclass(frozen=True)
class Options:
    """How long and how hard to measure; shared by every benchmark."""

    rounds: int = 3
    duration: int = 5
    connections: int = 4
    warmup: int = 2
    workers: int = 2


# --------------------------------------------------------------------------------------
# Environment and services
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_env(database: str, *, redis_db: int) -> Iterator[dict[str, str]]:
    """Production settings on a scratch database and an emptied Redis database, which is
    emptied again afterwards."""
    redis_url = f"{REDIS_SERVER}/{redis_db}"
    with scratch_database(database) as database_url:
        env = production_env(database_url=database_url, redis_url=redis_url)
        flush_redis(redis_url)
        try:
            yield env
        finally:
            flush_redis(redis_url)


def production_env(*, database_url: str, redis_url: str) -> dict[str, str]:
    """The environment gunicorn and manage.py run with: production settings, nothing cached."""
    env = {k: v for k, v in os.environ.items() if k not in _UNSET_FOR_BENCH}
    env.update(
        DJANGO_SETTINGS_MODULE="polaris.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CONN_MAX_AGE="60",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def _pg_conninfo(database: str) -> str:
    return f"{PG_SERVER.rstrip('/')}/{database}"


@contextlib.contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, and drop it whatever happens."""
    import psycopg
    from psycopg import sql

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unsafe database name {name!r}")

    def admin(statement: sql.Composable) -> None:
        with psycopg.connect(_pg_conninfo("postgres"), autocommit=True) as conn:
            conn.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    try:
        admin(drop)
        admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        raise BenchError(f"PostgreSQL at {PG_SERVER} is not usable: {exc}") from exc
    try:
        yield _pg_conninfo(name)
    finally:
        try:
            admin(drop)
        except psycopg.Error as exc:
            print(f"  could not drop the scratch database {name}: {exc}", file=sys.stderr)


def flush_redis(url: str) -> None:
    """Empty the one Redis database the bench owns (the URL's), and no other."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()
    except redis.exceptions.ConnectionError as exc:
        raise BenchError(f"Redis at {url} is not reachable: {exc}") from exc


def manage(args: Sequence[str], env: dict[str, str]) -> str:
    """Run `manage.py ARGS` in the bench environment; its output, or BenchError on failure."""
    print(f"  manage.py {' '.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(
            f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def run_json_module(module: str, args: Sequence[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `python -m <module> <args>` in the bench environment; the JSON on its last line."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(
            f"{module} {' '.join(args[:1])} failed ({done.returncode}):\n"
            f"{done.stdout[-4000:]}{done.stderr[-4000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------


def http_get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET without following redirects: (status, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/", headers={"Host": parts.netloc})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], *, workers: int, ready_path: str = "/health/", app: str = "polaris.wsgi"
) -> Iterator[str]:
    """Serve APP (the project by default) with gunicorn (sync workers) on a free loopback port;
    yield its base URL.

    Waits until READY_PATH answers 200 (READY_SECONDS at most); stops the server (and its
    workers) on the way out.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in finally)
        mode="w+", prefix="bench-gunicorn-", suffix=".log", delete=False
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--no-control-socket",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]
    print(f"  gunicorn on {base} ({workers} sync workers)", flush=True)
    proc = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_ready(proc, base + ready_path, log.name)
        yield base
    finally:
        _stop(proc)
        log.close()
        with contextlib.suppress(OSError):
            errors = Path(log.name).read_text().strip()
            if errors:
                print(f"  gunicorn log:\n{_indent(errors[-4000:])}", flush=True)
            os.unlink(log.name)


def _wait_until_ready(
    proc: subprocess.Popen, url: str, log_path: str, timeout: float = READY_SECONDS
) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(
                f"gunicorn exited {proc.returncode} before serving:\n{Path(log_path).read_text()}"
            )
        try:
            status, _ = http_get(url, timeout=2)
        except OSError as exc:
            last = str(exc)
        else:
            if status == 200:
                return
            last = f"HTTP {status}"
        time.sleep(0.2)
    raise BenchError(
        f"{url} did not answer 200 within {timeout:.0f}s ({last}; load average {load_average()})"
    )


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the gunicorn master we started (it stops its workers); SIGKILL its group if stuck."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


# --------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------


@dataclass
class WrkRun:
    """One wrk run against one URL."""

    url: str
    rps: float
    requests: int
    non_2xx: int
    socket_errors: dict[str, int]
    latency_ms: dict[str, float] = field(default_factory=dict)
    load_avg: float = 0.0

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.non_2xx == 0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(value)
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(url: str, output: str) -> WrkRun:
    """Read wrk's report (run with --latency)."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    requests = re.search(r"^\s*(\d+) requests in ", output, re.M)
    if not rps or not requests:
        raise BenchError(f"could not read wrk's report for {url}:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True))
        if errors
        else {}
    )
    latency = {
        f"p{pct}": _ms(value)
        for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)
    }
    return WrkRun(
        url=url,
        rps=float(rps.group(1)),
        requests=int(requests.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        latency_ms=latency,
    )


def wrk(url: str, *, duration: int, connections: int) -> WrkRun:
    """Load URL from one wrk thread for DURATION seconds over CONNECTIONS connections."""
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the bench loads loopback addresses only, not {url}")
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{duration}s",
        "--timeout",
        "5s",
        "--latency",
        url,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish against {url}") from exc
    if done.returncode != 0:
        raise BenchError(f"wrk exited {done.returncode} against {url}:\n{done.stderr}")
    run = parse_wrk(url, done.stdout)
    run.load_avg = load_average()
    return run


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (`make bench` installs it: apt-get install wrk)")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------


def _first_line(command: Sequence[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else None


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _postgres_version() -> str | None:
    import psycopg

    try:
        with psycopg.connect(_pg_conninfo("postgres"), connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        return None


def _redis_version(url: str) -> str | None:
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=3).info("server")["redis_version"]
    except redis.exceptions.RedisError:
        return None


def machine_info(*, redis_url: str) -> dict[str, Any]:
    """What the numbers were measured on, for comparing runs."""
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": _version("Django"),
        "gunicorn": _version("gunicorn"),
        "postgresql": _postgres_version(),
        "redis": _redis_version(redis_url),
        "wrk": _first_line(["wrk", "--version"]),
    }


def git_revision() -> str | None:
    """The checked-out commit, with "+dirty" when the work tree has changes other than the
    results the benchmarks themselves write."""
    head = _first_line(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    if not head or not re.fullmatch(r"[0-9a-f]+", head):
        return None
    dirty = _first_line(
        ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", ".", ":!bench/results"]
    )
    return f"{head}+dirty" if dirty else head


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def result_head(name: str, *, redis_db: int) -> dict[str, Any]:
    """What every result file starts with: which benchmark, when, at which commit, on what."""
    return {
        "benchmark": name,
        "timestamp": now_iso(),
        "revision": git_revision(),
        "machine": machine_info(redis_url=f"{REDIS_SERVER}/{redis_db}"),
    }


def failed(name: str, reason: object) -> int:
    """Say on stderr that a benchmark failed, and why; its exit status."""
    print(f"{name}: FAILED: {reason}", file=sys.stderr, flush=True)
    return 1


def report(name: str, result: dict[str, Any], show: Callable[[dict[str, Any]], None]) -> Path:
    """Write a benchmark's results, print them (`show`) and where they were written."""
    path = write_results(name, result)
    show(result)
    print(f"written {path.relative_to(REPO_ROOT)}")
    return path


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Write bench/results/NAME.json atomically (through a .tmp file); its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, numbers right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        all(re.fullmatch(r"[-+\d.,x%]+|—", row[i]) for row in cells[1:])
        for i in range(len(headers))
    ]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
