"""A real Celery worker for the tests (`celery -A polaris worker` in a process group of its
own), waiting for what it does, and telling when it is idle. Its environment is the
`worker_env` fixture (tests/conftest.py)."""

import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings

from polaris.celery import app as celery_app
from tests.processes import celery_worker_command, process_group_stop


class Worker:
    """`celery -A polaris worker` in a process group of its own, on a queue of its own."""

    def __init__(self, *, queue: str, env: dict[str, str], log: Path):
        self.log = log
        self.queue = queue
        self.process = subprocess.Popen(
            celery_worker_command(hostname=f"{queue}@localhost", queue=queue),
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


@contextmanager
def worker_on_own_queue(
    task, *, env: dict[str, str], redis_url: str, log: Path
) -> Iterator[Worker]:
    """A real worker consuming a queue of its own, where `task` goes; meanwhile this test's
    process publishes tasks to Redis instead of running them inline. Afterwards the task's
    routing and the queue are as they were."""
    queue = f"test-{task.name.rsplit('.', 1)[-1]}-{uuid.uuid4().hex[:10]}"
    task = celery_app.tasks[task.name]
    task.queue = queue
    task._exec_options = None  # Celery caches a task's routing options
    celery_app.conf.task_always_eager = False
    worker = Worker(queue=queue, env=env, log=log)
    try:
        yield worker
    finally:
        worker.stop()
        celery_app.conf.task_always_eager = True
        del task.queue
        task._exec_options = None
        redis.Redis.from_url(redis_url).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )
