"""The one way anything is written to the audit log."""

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .models import LogEntry
from .registry import action_registered


def _checked(action: str) -> str:
    if not action_registered(action):
        raise ValueError(f"Unknown audit action {action!r}: register it with action_register")
    return action


def log_action(
    subject: models.Model, action: str, *, actor=None, data: dict[str, Any] | None = None
) -> LogEntry:
    """Record that `actor` (None: the site itself) did `action` to `subject`."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        action=_checked(action),
        data=data or {},
        actor=actor,
        created_at=timezone.now(),
    )


def log_actions(
    entries: Iterable[tuple[models.Model, dict[str, Any]]], action: str, *, actor=None
) -> list[LogEntry]:
    """The same action on several subjects, each with its own data, in one query."""
    _checked(action)
    now = timezone.now()
    return LogEntry.objects.bulk_create(
        LogEntry(
            content_type=ContentType.objects.get_for_model(subject),
            object_id=subject.pk,
            action=action,
            data=data,
            actor=actor,
            created_at=now,
        )
        for subject, data in entries
    )


def log_entries(subject: models.Model):
    """What the audit log holds about `subject`, oldest first."""
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
    )
