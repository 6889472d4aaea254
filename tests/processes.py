"""The processes fault tests start as the site runs them: gunicorn, a Celery worker; each in
a process group of its own, so that stopping it stops its children too. What such a process
needs: a free local port, the test database's URL. A hung server: a port that takes
connections and never answers."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection


def free_port() -> int:
    """A local TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def hung_server() -> Iterator[int]:
    """A local port that accepts connections (the kernel completes them) and never answers,
    as a hung server would; closed on leaving, so that a real server may take the port."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield server.getsockname()[1]


def database_url() -> str:
    """The URL of this test's database, for a process of its own to share it."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def gunicorn_command(port: int) -> list[str]:
    """gunicorn as `make serve` runs the site, with two workers, on a port of the test's."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "polaris.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--no-control-socket",
        "--graceful-timeout",
        "5",
    ]


def celery_worker_command(
    *, hostname: str, queue: str | None = None, pool: str = "prefork", loglevel: str = "INFO"
) -> list[str]:
    """`celery -A polaris worker` as `make serve` runs it: one process at a time, without
    gossip or mingle (a test's worker talks to no other); on `queue` if given."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "polaris",
        "worker",
        "--pool",
        pool,
        *(["--concurrency", "1"] if pool == "prefork" else []),
        *(["-Q", queue] if queue else []),
        "--hostname",
        hostname,
        "--loglevel",
        loglevel,
        "--without-gossip",
        "--without-mingle",
    ]


def process_group_stop(process: subprocess.Popen) -> None:
    """Stop a process started with start_new_session=True, and its children: politely, then
    outright after 20 seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class OutputWatch:
    """Copies a process's output (started with stdout=PIPE, stderr=STDOUT) to its log file
    line by line, so that a test can await a line such as "Ready to accept connections"
    instead of polling."""

    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log
        self._lines: list[str] = []
        self._closed = False
        self._changed = threading.Condition()
        threading.Thread(target=self._copy, daemon=True).start()

    def _copy(self) -> None:
        with self.log.open("ab") as sink:
            for line in self.process.stdout:
                sink.write(line)
                sink.flush()
                with self._changed:
                    self._lines.append(line.decode(errors="replace"))
                    self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_line(self, pattern: str, *, timeout: float) -> bool:
        """Whether a line matching `pattern` came within `timeout` seconds (False as soon as
        the process closed its output without one)."""
        found = re.compile(pattern)

        def seen() -> bool | None:
            if any(found.search(line) for line in self._lines):
                return True
            return False if self._closed else None

        with self._changed:
            return bool(self._changed.wait_for(lambda: seen() is not None, timeout) and seen())


def start_logged(command: list[str], *, log: Path, **popen) -> tuple[subprocess.Popen, OutputWatch]:
    """Starts `command` in a process group of its own (stop it with process_group_stop), its
    output copied to `log`, and returns it with the OutputWatch that awaits its lines."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **popen
    )
    return process, OutputWatch(process, log)


def gunicorn_serving(output: OutputWatch, base_url: str, *, timeout: float) -> bool:
    """Whether the gunicorn whose output that is serves `base_url`/health/ within `timeout`
    seconds. It awaits the master's "Listening at" line, then makes one request: that request
    waits in the socket's backlog until a worker has loaded the site, so nothing polls."""
    deadline = time.monotonic() + timeout
    if not output.wait_line(r"Listening at: ", timeout=timeout):
        return False
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        remaining = max(deadline - time.monotonic(), 1.0)
        with opener.open(base_url + "/health/", timeout=remaining) as response:
            return response.status == 200
    except OSError:
        return False


DEADLINE_SECONDS = 60
# How long wait_for waits between two looks at what it waits for.
POLL_SECONDS = 0.1


def wait_for(condition, what: str, shown=(), timeout: float = DEADLINE_SECONDS):
    """Returns the condition's first true result, or fails the test after `timeout` seconds
    naming `what`, with the output of `shown` (a process of the test's with an `output()`,
    such as a tests.worker.Worker, or a list of them).

    This is the suite's one polling loop, for what offers no event to wait on: rows another
    process writes in the database, a worker's log file, a Redis queue another process
    empties, /proc. It looks every POLL_SECONDS until the deadline. What can be awaited (a
    threading.Event, a process's exit, an output line: OutputWatch) is awaited instead."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            processes = shown if isinstance(shown, (list, tuple)) else [shown]
            output = "\n".join(process.output() for process in processes)
            pytest.fail(f"timed out waiting for {what}\n{output}")
        time.sleep(POLL_SECONDS)
