"""Celery beat tasks for course evaluations: thin wrappers around
certificates.services.evaluations. Each item is checked again under a row lock, so a task
that runs twice sends nothing twice.
"""

from celery import shared_task
from django.utils import timezone

from .services import evaluations


@shared_task
def evaluation_requests_send() -> int:
    """Ask each participant of a finished session for their evaluation, once."""
    now = timezone.now()
    return sum(
        evaluations.evaluation_request(enrolment_id=pk, now=now)
        for pk in evaluations.evaluation_requests_due(now=now)
    )


@shared_task
def evaluation_reminders_send() -> int:
    """Remind trainees whose evaluation is still missing (spaced, limited, within 80 days)."""
    now = timezone.now()
    return sum(
        evaluations.evaluation_remind(evaluation_id=pk, now=now)
        for pk in evaluations.evaluation_reminders_due(now=now)
    )
