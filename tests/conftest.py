"""Shared fixtures: a fresh cache namespace per test, service detection, the loaded catalog,
the clock, people (trainees, staff), fake Stripe, a real SMTP server and what a worker
process needs to share the test's database and services."""

import os
import uuid
from pathlib import Path

import pytest
import redis
import time_machine
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from catalog.models import Offering
from catalog.services import catalog_load_file
from polaris.celery import app as celery_app
from registration.roles import COORDINATOR
from tests.factories import StaffFactory, TraineeFactory, login_staff
from tests.fakes.stripe_server import FakeStripe
from tests.processes import database_url, free_port
from tests.roster import EVENING_AFTER
from tests.smtp import RecordingHandler

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Property tests try a few examples on a developer's run and the full count in CI
# (.ci/run sets HYPOTHESIS_PROFILE=ci). Tests scale their own counts from the profile's.
_SLOW_FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
hypothesis_settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=_SLOW_FIXTURES
)
hypothesis_settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=_SLOW_FIXTURES
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session", autouse=True)
def _celery_runs_tasks_inline():
    """Tasks run in the test's process unless a test starts a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def eager_retries():
    """Eager retries run at once, one after another, as a worker runs them after each backoff
    (propagating the first failure would stop at the first retry)."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def _missing(reason: str) -> None:
    """A missing service fails the run in CI (REQUIRE_SERVICES=1) and is skipped elsewhere."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test sees an empty cache, without flushing a shared Redis database."""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches
    # Hashing test users' passwords with PBKDF2 would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    """pytest-django's superuser "admin", with an authenticator app set up: staff reach the
    admin only after signing in with two factors."""
    return StaffFactory(username="admin", email="admin@example.com", is_superuser=True)


@pytest.fixture
def admin_client(admin_user):
    """A client signed in as `admin_user` with password and authenticator code (login_staff)."""
    return login_staff(Client(), admin_user)


@pytest.fixture
def coordinator(db) -> Client:
    """Jana, the training coordinator: staff in the Coordinator group only, signed in on a
    client of her own (the user is `coordinator.user`). Sign in again after moving the clock
    (`login_staff(coordinator, coordinator.user)`): the session cookie has an age."""
    user = StaffFactory(
        username="jana", first_name="Jana", last_name="Adamova", roles=[COORDINATOR]
    )
    client = login_staff(Client(), user)
    client.user = user
    return client


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        _missing("these tests need PostgreSQL (set DATABASE_URL=postgres://...)")
    return connection


@pytest.fixture
def redis_url() -> str:
    url = django_settings.REDIS_URL
    if not url:
        _missing("these tests need Redis (set REDIS_URL=redis://...)")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        _missing(f"Redis at {url} is not reachable: {exc}")
    return url


CATALOG_FILE = Path(django_settings.BASE_DIR) / "fixtures" / "catalog.toml"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the catalog once into the test database; each test's transaction is rolled back."""
    with django_db_blocker.unblock():
        catalog_load_file(path=CATALOG_FILE)


@pytest.fixture
def catalog(db):
    """The customer's whole catalog, loaded from fixtures/ as `make run` loads it.

    Tests with transaction=True empty the tables afterwards, so reload when it is gone.
    """
    if not Offering.objects.exists():
        catalog_load_file(path=CATALOG_FILE)


SEASON_START = "2027-01-15T10:00:00-08:00"


@pytest.fixture
def before_season():
    """The clock stopped on a winter morning before the 2027 season's first session."""
    with time_machine.travel(parse_datetime(SEASON_START), tick=False) as traveller:
        yield traveller


def point_stripe_at(settings, fake, *, timeout_seconds: int) -> None:
    """The app's real stripe client, talking to a FakeStripe (tests/fakes/stripe_server.py)."""
    settings.STRIPE_SECRET_KEY = fake.api_key
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = timeout_seconds


@pytest.fixture
def after_session():
    """The clock stopped on the evening after Module 1's June session (tests.roster)."""
    with time_machine.travel(EVENING_AFTER, tick=False) as traveller:
        yield traveller


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    """Rendered PDFs and uploaded images go to a directory of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def make_trainee(db):
    """TraineeFactory: `make_trainee(profession="rn", legal_name=..., state="NV")` is a user
    with a complete trainee profile. A user without one is a `UserFactory()`."""
    return TraineeFactory


@pytest.fixture
def trainee(make_trainee):
    return make_trainee()


@pytest.fixture
def signed_in(client, trainee):
    client.force_login(trainee)
    return client


@pytest.fixture
def fake_stripe(settings):
    """The real stripe library, talking to a local fake of Stripe's API."""
    with FakeStripe() as fake:
        point_stripe_at(settings, fake, timeout_seconds=3)
        yield fake


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port (aiosmtpd), recording what it accepts."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.host, handler.port = controller.hostname, controller.port
    handler.controller = controller
    yield handler
    handler.release.set()
    if controller._thread is not None:
        controller.stop()


@pytest.fixture
def worker_env(postgres, redis_url, smtp_server, settings):
    """What a worker process (tests.worker.Worker) needs to share this test's database,
    media, cache and mail."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "polaris.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": f"test-worker-{uuid.uuid4().hex[:8]}",
        "EMAIL_URL": f"smtp://{smtp_server.host}:{smtp_server.port}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SITE_URL": settings.SITE_URL,
        "LOG_LEVEL": "INFO",
        "CONN_MAX_AGE": "60",  # as `make serve` runs it: connections are kept
    }
