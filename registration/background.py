"""The Celery tasks the services queue, named rather than imported.

`tasks.py` holds the tasks (what Celery discovers and the beat schedule names): thin wrappers
that call the services. A service that queues one of them would import back up into
`tasks.py`, a circle; so it queues it here, by one of the names below. The names are the
tasks' dotted paths, checked in two places: `task_queue` looks the task up in Celery's
registry, which raises NotRegistered for an unknown name rather than sending a message no
worker takes, and a test checks that every name in QUEUED is registered.
"""

from celery import current_app

EMAIL_SEND = "registration.tasks.email_send"
CHECKOUT_CLOSE = "registration.tasks.checkout_close"
SIGN_IN_SHEET_RENDER = "registration.tasks.sign_in_sheet_render"

QUEUED = (EMAIL_SEND, CHECKOUT_CLOSE, SIGN_IN_SHEET_RENDER)


def task_queue(name: str, *args) -> None:
    """Queue the registered task `name` with `args` (run inline when Celery is eager). The
    registry holds registration's tasks once `tasks.py` is imported: apps.py's ready() does."""
    current_app.tasks[name].delay(*args)
