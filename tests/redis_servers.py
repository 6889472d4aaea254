"""A `redis-server` of the test's own (the fault tests stop, start and hang it, never the
shared one). The fixtures `private_redis` and `app_on_private_redis` are in
tests/faults/conftest.py."""

import subprocess
from pathlib import Path

import pytest

from tests.processes import OutputWatch, free_port

START_SECONDS = 10


class RedisServer:
    """A `redis-server` of the test's own, without persistence, that can be stopped and
    started again on the same port."""

    def __init__(self, *, binary: str, directory: Path):
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Starts it and waits for its "Ready to accept connections" line."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output = OutputWatch(self.process, self.directory / "redis.log")
        if not output.wait_line(r"Ready to accept connections", timeout=START_SECONDS):
            self.stop()
            pytest.fail(f"redis-server did not start:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM: Redis shuts down at once (nothing to save) and refuses connections."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=START_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=START_SECONDS)

    def log(self) -> str:
        return (self.directory / "redis.log").read_text(errors="replace")[-2000:]
