"""Fault tests reuse other packages' fixtures: trainees and fake Stripe from registration,
the SMTP server and the Celery worker's environment from certificates; and share a Redis
server of their own (started, stopped and restarted by the test, never the shared one) and
a signed-in coordinator."""

from tests.certificates.conftest import smtp_server  # noqa: F401
from tests.certificates.test_worker import worker_env  # noqa: F401
from tests.faults.test_redis_down import app_on_private_redis, private_redis, redis_url  # noqa: F401
from tests.faults.test_smtp_down import coordinator  # noqa: F401
from tests.registration.conftest import fake_stripe, make_trainee  # noqa: F401
