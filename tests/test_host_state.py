"""What one process of the site knows, every other knows too: with no Redis (the embedded
default, `make run`: the development server and a Celery worker side by side), the cache is
in files under var/, so a catalog edit made in one process and a rate limit counted in
another are seen by both. (With Redis, tests/faults/test_several_hosts.py.)"""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

READ_AND_COUNT = """
from catalog.cache import catalog_version
from polaris.ratelimit import rate_take
from django.conf import settings
print(settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1])
print(catalog_version())
print(rate_take(action="contact", client="203.0.113.7", limit=2, period_seconds=3600))
"""
EDIT = "from catalog.cache import catalog_changed; catalog_changed(); catalog_changed()"


def embedded(var: Path, code: str) -> list[str]:
    """`manage.py shell -c code` as another process of the embedded default would run it."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "REDIS_URL", "STORAGE_URL", "CACHE_KEY_PREFIX")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "DEBUG": "1", "VAR_DIR": str(var)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split()


def test_the_embedded_defaults_processes_share_one_cache(tmp_path):
    first = embedded(tmp_path, READ_AND_COUNT)
    embedded(tmp_path, EDIT)  # a coordinator's edit, in the web process
    second = embedded(tmp_path, READ_AND_COUNT)
    third = embedded(tmp_path, READ_AND_COUNT)

    backend, before, allowed = first
    assert (backend, allowed) == ("FileBasedCache", "True")
    assert second[0] == "FileBasedCache"
    assert int(second[1]) > int(before)  # the edit seen
    assert second[2] == "True"  # the second message
    assert third == ["FileBasedCache", second[1], "False"]  # the third in the hour is refused
    assert (tmp_path / "cache").is_dir()
