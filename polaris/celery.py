"""The Celery app, configured from Django settings (the CELERY_ namespace)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polaris.settings")

app = Celery("polaris")
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
    from django.db import close_old_connections

    close_old_connections()
