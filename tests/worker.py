"""A real Celery worker for the tests (`celery -A polaris worker` in a process group of its
own), waiting for what it does, and telling when it is idle. Its environment is the
`worker_env` fixture (tests/conftest.py)."""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.processes import process_group_stop

DEADLINE_SECONDS = 60
# How long wait_for waits between two looks at what it waits for.
POLL_SECONDS = 0.1


class Worker:
    """`celery -A polaris worker` in a process group of its own, on a queue of its own."""

    def __init__(self, *, queue: str, env: dict[str, str], log: Path):
        self.log = log
        self.queue = queue
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "polaris",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "-Q",
                queue,
                "--hostname",
                f"{queue}@localhost",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pool_processes(self) -> list[int]:
        """The pids of the pool's child processes (prefork: the ones that run tasks)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        process_group_stop(self.process)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def wait_for(condition, what: str, worker: Worker | None = None, timeout: float = DEADLINE_SECONDS):
    """Returns the condition's first true result, or fails the test after `timeout` seconds
    naming `what` (with the worker's output).

    This is the suite's one polling loop, for what offers no event to wait on: rows another
    process writes in the database, a worker's log file, a Redis queue emptied by another
    process, /proc. It looks every POLL_SECONDS until the deadline. Anything that can be
    awaited (a threading.Event, a process's exit, a port accepting connections) is awaited
    instead, with its own timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            output = f"; worker output:\n{worker.output()}" if worker is not None else ""
            pytest.fail(f"timed out waiting for {what}{output}")
        time.sleep(POLL_SECONDS)


def worker_idle(worker: Worker, redis_url: str) -> bool:
    """The worker has finished every task it received, and none waits in its queue."""
    log = worker.log.read_text(errors="replace")
    received = len(re.findall(r"Task [\w.]+\[[^]]+\] received", log))
    finished = len(re.findall(r"Task [\w.]+\[[^]]+\] (?:succeeded|raised|failed)", log))
    waiting = redis.Redis.from_url(redis_url).llen(worker.queue)
    return received > 0 and received == finished and waiting == 0
