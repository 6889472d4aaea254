"""Fault tests reuse other packages' fixtures: trainees and fake Stripe from registration,
the SMTP server and the Celery worker's environment from certificates."""

from tests.certificates.conftest import smtp_server  # noqa: F401
from tests.certificates.test_worker import worker_env  # noqa: F401
from tests.registration.conftest import fake_stripe, make_trainee  # noqa: F401
