"""The Celery app, configured from Django settings (the CELERY_ namespace)."""

import os
import time

import redis
from celery import Celery
from celery.app.amqp import AMQP
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polaris.settings")

# Once a publish has timed out, the next ones fail at once for this long rather than each
# waiting for the broker's socket timeout: a request that queues several tasks (the emails
# of an inquiry, a roster's certificates) leaves them all to the sweeps within one timeout.
UNANSWERED_PAUSE_SECONDS = 5.0


def _timed_out(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, (TimeoutError, redis.exceptions.TimeoutError)):
            return True
        error = error.__cause__ or error.__context__
    return False


class Messaging(AMQP):
    """Celery's messaging, not waiting again on a broker that stopped answering a moment ago."""

    unanswered_until = 0.0

    def _create_task_sender(self):
        send = super()._create_task_sender()

        def send_task_message(producer, name, message, **options):
            if time.monotonic() < self.unanswered_until:
                raise OperationalError("The broker did not answer a moment ago; not waiting again")
            try:
                return send(producer, name, message, **options)
            except OperationalError as error:
                if _timed_out(error):
                    self.unanswered_until = time.monotonic() + UNANSWERED_PAUSE_SECONDS
                raise

        return send_task_message


app = Celery("polaris", amqp=Messaging)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender=None, task=None, **kwargs) -> None:
    """Before and after each task, as Django does around each request: a connection that
    had an error, or is older than CONN_MAX_AGE, is closed, and the next query opens a new
    one; a kept connection is checked before its next use (CONN_HEALTH_CHECKS)."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run inline: it uses its caller's connection, maybe inside a transaction
    close_old_connections()
