"""The experiential intake: a trainee submits answers, a clinical reviewer approves or declines
them, the trainee may withdraw. The answers are health information: they are never logged nor
emailed, and every time staff see them the view is recorded."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Intake, IntakeAccessLog, IntakeAnswer, IntakeQuestion
from ..roles import INTAKE_PERMISSION
from .emails import email_queue

INTAKE_ANSWERS_PERMISSION = ".".join(INTAKE_PERMISSION)


class IntakeError(Exception):
    """The intake cannot change that way; the message says why."""


def may_see_answers(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(INTAKE_ANSWERS_PERMISSION))


def intake_can_submit(*, current: Intake | None, now: datetime) -> bool:
    """A new intake may be submitted unless one awaits review or an approval still holds."""
    if current is None:
        return True
    if current.status == Intake.Status.SUBMITTED:
        return False
    if current.status == Intake.Status.APPROVED:
        return current.approved_until is None or current.approved_until <= now
    return True


def intake_submit(
    *, trainee, answers: dict[int, str], questions: list[IntakeQuestion], now: datetime
) -> Intake:
    """Record the trainee's answers (already validated by the form) for review."""
    current = Intake.objects.filter(trainee=trainee).order_by("-submitted_at", "-pk").first()
    if not intake_can_submit(current=current, now=now):
        raise IntakeError(_("Your intake is already awaiting review or approved."))
    try:
        with transaction.atomic():
            intake = Intake.objects.create(trainee=trainee, submitted_at=now)
            IntakeAnswer.objects.bulk_create(
                IntakeAnswer(
                    intake=intake,
                    question=question,
                    question_text=question.text,
                    answer=answers.get(question.pk, ""),
                )
                for question in questions
            )
    except IntegrityError:  # submitted twice at once
        raise IntakeError(_("Your intake is already awaiting review.")) from None
    return intake


def intake_review(*, intake: Intake, decision: str, note: str, by, now: datetime) -> Intake:
    """A clinical reviewer approves or declines an intake; the trainee is told by email,
    which says only that the intake was reviewed."""
    if not may_see_answers(by):
        raise PermissionDenied
    if decision not in Intake.Decision.values:
        raise IntakeError(_("Choose to approve or decline the intake."))
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("trainee").get(pk=intake.pk)
        if locked.status != Intake.Status.SUBMITTED:
            raise IntakeError(
                _("This intake is %(status)s: it cannot be reviewed.")
                % {"status": locked.get_status_display().lower()}
            )
        locked.status = decision
        locked.decision = decision
        locked.review_note = note
        locked.reviewed_by = by
        locked.reviewed_at = now
        locked.approved_until = (
            now + timedelta(days=settings.INTAKE_APPROVAL_DAYS)
            if decision == Intake.Decision.APPROVED
            else None
        )
        locked.save()
        email_queue(
            kind="intake_reviewed",
            to=locked.trainee.email,
            key=f"intake_reviewed:{locked.pk}:{locked.emails.count() + 1}",
            intake=locked,
        )
    return locked


def intake_withdraw(*, intake: Intake, now: datetime) -> Intake:
    """The trainee withdraws: the answers are deleted, the record of the decision is kept."""
    with transaction.atomic():
        locked = Intake.objects.select_for_update().get(pk=intake.pk)
        if locked.status == Intake.Status.WITHDRAWN:
            return locked
        locked.answers.all().delete()
        locked.status = Intake.Status.WITHDRAWN
        locked.withdrawn_at = now
        locked.save(update_fields=["status", "withdrawn_at"])
    return locked


def intake_answers_for_staff(*, intake: Intake, viewer) -> list[IntakeAnswer]:
    """The answers, for a clinical reviewer only; each such view is recorded."""
    if not may_see_answers(viewer):
        raise PermissionDenied
    IntakeAccessLog.objects.create(intake=intake, viewed_by=viewer)
    return list(intake.answers.all())
