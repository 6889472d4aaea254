"""The processes fault tests start as the site runs them: gunicorn, a Celery worker; each in
a process group of its own, so that stopping it stops its children too. What such a process
needs: a free local port, the test database's URL."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from django.db import connection


def free_port() -> int:
    """A local TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def http_ready(url: str, *, timeout: float) -> bool:
    """Whether `url` answers 200 within `timeout` seconds: for a server whose listening
    socket is open (its "Listening at" line seen), the request waits in its backlog until a
    worker has loaded the site, so one request with a timeout is the wait."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False
