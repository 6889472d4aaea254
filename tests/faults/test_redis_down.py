"""Redis (cache and Celery broker) stopped while a trainee orders and pays: every page still
works, the confirmation email waits in the outbox, and once Redis is back the outbox sweep
and a real Celery worker deliver it exactly once."""

import email
import email.policy
import re
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.utils import timezone

from polaris.celery import app as celery_app
from registration.models import Enrolment, OutboundEmail
from registration.tasks import outbox_sweep
from tests.certificates.conftest import free_port
from tests.certificates.test_worker import Worker, wait_for
from tests.conftest import _missing
from tests.registration.flows import pay, register, seats_left_shown, session_of, text

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

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
            stdout=(self.directory / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"redis-server did not start:\n{self.log()}")
                time.sleep(0.05)

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


def tasks_done(worker: Worker) -> int:
    """Email tasks the worker has finished, sent or found already sent (its whole log)."""
    log = worker.log.read_text(errors="replace")
    return len(re.findall(r"Task registration\.tasks\.email_send\[[^]]+\] succeeded", log))


def test_an_order_paid_while_redis_is_down_is_confirmed_by_one_email_once_it_is_back(
    app_on_private_redis,
    private_redis,
    worker_env,
    smtp_server,
    client,
    make_trainee,
    fake_stripe,
    before_season,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    trainee = make_trainee()
    client.force_login(trainee)
    module_1 = session_of("module-1", 6)
    private_redis.stop()

    order = register(client, django_capture_on_commit_callbacks, module_1)
    pay(client, fake_stripe, django_capture_on_commit_callbacks, order)

    assert order.status == "paid"
    assert "Paid" in text(client.get(order.get_absolute_url()))
    assert seats_left_shown(client, module_1) == "39 of 40"
    assert Enrolment.objects.get(order_line__order=order).status == "confirmed"
    confirmation = OutboundEmail.objects.get(order=order, kind="order_confirmation")
    assert confirmation.sent_at is None

    private_redis.start()
    before_season.move_to(timezone.now() + timedelta(minutes=2))
    # Two beat ticks before any worker runs, the second once the first task counts as lost:
    # the email is queued twice.
    assert outbox_sweep() == 1
    before_season.move_to(timezone.now() + timedelta(seconds=settings.OUTBOX_STUCK_SECONDS + 1))
    assert outbox_sweep() == 1
    worker = Worker(queue="celery", env=worker_env, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: tasks_done(worker) == 2, "both queued sends to run", worker)
    finally:
        worker.stop()

    assert len(smtp_server.messages) == 1
    message = email.message_from_bytes(smtp_server.messages[0], policy=email.policy.default)
    assert message["To"] == trainee.email
    assert f"Your registration is confirmed ({order.code})" in message["Subject"]
    confirmation.refresh_from_db()
    assert confirmation.sent_at is not None
    assert outbox_sweep() == 0


def test_certificates_issued_while_redis_is_down_are_delivered_once_it_is_back(
    app_on_private_redis, private_redis, worker_env, smtp_server, before_season, client, tmp_path
):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.urls import reverse

    from certificates.models import Certificate
    from registration.roles import COORDINATOR
    from tests.factories import StaffFactory, login_staff
    from tests.registration.test_roster import EVENING_AFTER, enrol, roster_url, trainee

    session = session_of("module-1", 6)
    entries = [enrol(session, trainee(f"Trainee {n} Achterberg"), attendance="attended")
               for n in range(3)]  # fmt: skip
    coordinator = StaffFactory(roles=[COORDINATOR])
    before_season.move_to(EVENING_AFTER)
    login_staff(client, coordinator)
    private_redis.stop()

    response = client.post(
        roster_url(session),
        {"action": "issue_certificates", "index": 0, ACTION_CHECKBOX_NAME: [e.pk for e in entries]},
        follow=True,
    )

    assert response.status_code == 200
    page = text(response)
    assert "3 certificates queued." in page
    assert "0 of 3 rendered and emailed" in page and "Queued: 3" in page and "failed: 0" in page
    assert Certificate.objects.filter(delivery="queued").count() == 3

    private_redis.start()
    before_season.move_to(EVENING_AFTER + timedelta(minutes=1))
    assert outbox_sweep() == 3  # the beat's next tick
    worker = Worker(queue="celery", env=worker_env, log=tmp_path / "worker.log")
    try:
        wait_for(
            lambda: Certificate.objects.filter(delivery="emailed").count() == 3,
            "the certificates to be emailed",
            worker,
        )
    finally:
        worker.stop()

    assert sorted(
        email.message_from_bytes(raw, policy=email.policy.default)["To"]
        for raw in smtp_server.messages
    ) == sorted(entry.trainee.email for entry in entries)
    progress = reverse("admin:registration_rosterentry_certificates", args=[session.pk])
    assert "3 of 3 rendered and emailed" in text(client.get(progress))
