"""The services queue registration's tasks by name (registration.background): every name
they use is a task Celery has registered, so none is sent where no worker takes it."""

import pytest
from celery import current_app
from celery.exceptions import NotRegistered

from registration import background


def test_every_queued_name_is_a_registered_task():
    registered = current_app.tasks
    assert [name for name in background.QUEUED if name not in registered] == []


def test_an_unknown_name_is_refused_not_sent():
    with pytest.raises(NotRegistered):
        background.task_queue("registration.tasks.no_such_task")
