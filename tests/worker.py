"""A real Celery worker for the tests (`celery -A polaris worker` in a process group of its
own), waiting for what it does, and telling when it is idle. Its environment is the
`worker_env` fixture (tests/conftest.py)."""

import re
import subprocess
import sys
from pathlib import Path

import redis
from django.conf import settings

from tests.processes import process_group_stop


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


def worker_idle(worker: Worker, redis_url: str) -> bool:
    """The worker has finished every task it received (a pool process killed mid-task ends
    its task too: "Task handler raised error: WorkerLostError"), and none waits in its queue."""
    log = worker.log.read_text(errors="replace")
    received = len(re.findall(r"Task [\w.]+\[[^]]+\] received", log))
    finished = len(re.findall(r"Task [\w.]+\[[^]]+\] (?:succeeded|raised|failed)", log))
    finished += log.count("Task handler raised error: WorkerLostError")
    waiting = redis.Redis.from_url(redis_url).llen(worker.queue)
    return received > 0 and received == finished and waiting == 0
