"""The processes fault tests start as the site runs them: gunicorn, a Celery worker; each in
a process group of its own, so that stopping it stops its children too."""

import os
import signal
import subprocess
import sys


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
