"""Fault tests share a Redis server of their own (started, stopped and restarted by the test,
never the shared one: every worker and site they start uses it).
The coordinator, trainees, fake Stripe, the SMTP server and the worker's environment are in
tests/conftest.py."""

import shutil

import kombu.pools
import pytest

from polaris.celery import app as celery_app
from tests.conftest import _missing
from tests.redis_servers import RedisServer


@pytest.fixture
def private_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("this test starts and stops a redis-server of its own (Debian package redis)")
    server = RedisServer(binary=binary, directory=tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(private_redis):
    """The worker started here (see worker_env) uses the test's own Redis."""
    return private_redis.url


def _reset_broker_connections() -> None:
    # Celery keeps the app's pools once built, and kombu its pools per broker URL (even for
    # tasks run inline): close and forget them all, so that the next publish connects to the
    # broker_url now configured.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def app_on_private_redis(private_redis, settings):
    """This process's cache and Celery producer use the test's Redis; tasks are published,
    not run inline."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "polaris.cache.RedisCache",
            "LOCATION": private_redis.url,
        },
    }
    broker_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = private_redis.url
    celery_app.conf.task_always_eager = False
    _reset_broker_connections()
    yield
    celery_app.conf.broker_url = broker_url
    celery_app.conf.task_always_eager = True
    _reset_broker_connections()
