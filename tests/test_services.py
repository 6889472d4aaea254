"""The suite runs against the real services when they are configured (CI: REQUIRE_SERVICES=1)."""

import subprocess
import sys

import redis
from django.conf import settings
from django.core.cache import cache

from polaris.celery import app
from tests.processes import celery_worker_command


def test_database_is_postgresql(postgres):
    with postgres.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


def test_cache_is_shared_redis(redis_url):

    cache.set("services-check", "seen", 30)
    prefixed = cache.make_key("services-check")
    raw = redis.Redis.from_url(redis_url).get(prefixed)
    assert raw is not None, "the cache did not write to Redis"


def test_celery_uses_redis_as_broker(redis_url):

    assert app.conf.broker_url == redis_url


def test_celery_worker_answers_on_the_configured_broker(redis_url, tmp_path):
    """A real worker process, started as `make serve` starts it, answers a ping."""

    worker = subprocess.Popen(
        celery_worker_command(hostname=f"ci-ping@{tmp_path.name}", pool="solo", loglevel="WARNING"),
        cwd=settings.BASE_DIR,
    )
    try:
        replies = []
        for _ in range(60):
            replies = app.control.ping(destination=[f"ci-ping@{tmp_path.name}"], timeout=0.5)
            if replies:
                break
        assert replies and "ok" in str(replies)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_embedded_default_uses_the_filesystem_broker():
    """Without REDIS_URL, `make run` still has a worker: Celery on kombu's filesystem transport."""
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='polaris.settings'; "
        "django.setup(); from polaris.celery import app; "
        "print(app.conf.broker_url, app.conf.broker_transport_options['data_folder_in'])"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(settings.BASE_DIR)}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("filesystem:// ")
    assert out.strip().endswith("celery/queue")
