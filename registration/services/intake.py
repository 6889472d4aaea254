"""The experiential intake: a trainee submits answers, a clinical reviewer approves or declines
them, the trainee may withdraw. The answers and the reviewer's note are health information:
they are never logged nor emailed, withdrawing deletes them, and every page that shows staff
anything of an intake records who saw which intakes, when, and which of their fields."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import (
    Intake,
    IntakeAccessLog,
    IntakeAccessLogIntake,
    IntakeAnswer,
    IntakeQuestion,
)
from ..roles import INTAKE_PERMISSION
from .emails import email_queue

INTAKE_ANSWERS_PERMISSION = ".".join(INTAKE_PERMISSION)

# What the clinical reviewer's pages show of an intake.
REVIEW_FIELDS = (
    "trainee",
    "status",
    "submitted_at",
    "decision",
    "reviewed_at",
    "review_note",
    IntakeAccessLog.ANSWERS,
)
REVIEW_LIST_FIELDS = ("trainee", "status", "submitted_at")
# The most intakes the review list shows besides those awaiting review.
REVIEW_LIST_OTHERS = 100


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
    """The trainee withdraws: the answers and the reviewer's note are deleted; the decision
    and its date are kept. Withdrawing again deletes whatever is still there."""
    with transaction.atomic():
        locked = Intake.objects.select_for_update().get(pk=intake.pk)
        locked.answers.all().delete()
        if locked.status != Intake.Status.WITHDRAWN:
            locked.status = Intake.Status.WITHDRAWN
            locked.withdrawn_at = now
        locked.review_note = ""
        locked.save(update_fields=["status", "withdrawn_at", "review_note"])
    return locked


def intake_access_record(
    *, viewer, intake_ids: Iterable[int], page: str, fields: Sequence[str], now: datetime
) -> IntakeAccessLog | None:
    """Record that `viewer` was shown these intakes' `fields` on `page`: one entry however
    many intakes, written in two queries. Nothing shown, nothing recorded."""
    ids = sorted(set(intake_ids))
    if not ids:
        return None
    with transaction.atomic():
        log = IntakeAccessLog.objects.create(
            viewed_by=viewer, viewed_at=now, page=page, fields=list(fields)
        )
        IntakeAccessLogIntake.objects.bulk_create(
            IntakeAccessLogIntake(log=log, intake_id=intake_id) for intake_id in ids
        )
    return log


def intakes_for_review(*, viewer, now: datetime) -> tuple[list[Intake], list[Intake]]:
    """The clinical reviewer's list: the intakes awaiting review, and the most recent others
    by status; the view is recorded."""
    if not may_see_answers(viewer):
        raise PermissionDenied
    intakes = Intake.objects.select_related("trainee__trainee_profile")
    awaiting = list(intakes.filter(status=Intake.Status.SUBMITTED).order_by("-submitted_at"))
    others = intakes.exclude(status=Intake.Status.SUBMITTED).order_by("status", "-submitted_at")
    others = list(others[:REVIEW_LIST_OTHERS])
    intake_access_record(
        viewer=viewer,
        intake_ids=[intake.pk for intake in awaiting + others],
        page=IntakeAccessLog.Page.REVIEW_LIST,
        fields=REVIEW_LIST_FIELDS,
        now=now,
    )
    return awaiting, others


def intake_answers_for_staff(*, intake: Intake, viewer, now: datetime) -> list[IntakeAnswer]:
    """The answers, for a clinical reviewer only; the review page's view is recorded."""
    if not may_see_answers(viewer):
        raise PermissionDenied
    intake_access_record(
        viewer=viewer,
        intake_ids=[intake.pk],
        page=IntakeAccessLog.Page.REVIEW,
        fields=REVIEW_FIELDS,
        now=now,
    )
    return list(intake.answers.all())
