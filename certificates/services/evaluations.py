"""Course evaluations: requesting them once a session is over, reminding trainees who have
not answered, taking the answers (which issues the CE certificate), and the per-session
summary the coordinator reads.

Every participant is offered an evaluation (BBS 16 CCR §1887.4.0(c), APA Standard E); the
center's policy is that the CE certificate is issued when it is submitted, while the
Certificate of Attendance never waits for it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from catalog.models import Instructor, LearningObjective, Session
from registration.models import Enrolment
from registration.services.emails import email_queue

from ..models import Certificate, Evaluation, InstructorRating, ObjectiveRating, Rating
from .issuing import CertificateRefused, certificate_issue, certificates_issue_for_enrolment

logger = logging.getLogger(__name__)

# Attended trainees are asked as soon as attendance is marked; when the coordinator has
# not marked it, everyone still confirmed is asked this long after the session ends.
REQUEST_UNMARKED_AFTER = timedelta(days=1)
REMINDERS_MAX = 3
REMINDER_SPACING = timedelta(days=3)
# Certificates are due within 90 days of the course (BRN 16 CCR §1458(c)): nothing is
# requested or reminded past 80 days, so that the last answers still leave time to issue.
EVALUATION_WINDOW = timedelta(days=80)
TEXT_MAX_LENGTH = 5000


class EvaluationRefused(Exception):
    """Refused: nothing was stored."""


@dataclass(frozen=True)
class EvaluationAnswers:
    """What the trainee answered: ratings 1–5 by objective and instructor primary key."""

    overall_rating: int
    objective_ratings: dict[int, int]
    instructor_ratings: dict[int, int]
    useful: str = ""
    improve: str = ""


# --------------------------------------------------------------------------------------
# Who may evaluate what
# --------------------------------------------------------------------------------------


def evaluable_enrolments(*, trainee, now: datetime) -> QuerySet[Enrolment]:
    """The trainee's enrolments they may evaluate: confirmed, in a session that is over,
    and not marked absent."""
    return (
        Enrolment.objects.filter(
            trainee=trainee,
            status=Enrolment.Status.CONFIRMED,
            session__ends_at__lte=now,
        )
        .exclude(session__status=Session.Status.CANCELLED)
        .exclude(attendance=Enrolment.Attendance.ABSENT)
        .select_related("session__offering", "credit_type")
    )


def evaluation_of(enrolment: Enrolment) -> Evaluation | None:
    try:
        return enrolment.evaluation
    except Evaluation.DoesNotExist:
        return None


def evaluation_questions(
    *, enrolment: Enrolment
) -> tuple[list[LearningObjective], list[Instructor]]:
    """The learning objectives and instructors the trainee rates, in the catalog's order."""
    offering = enrolment.session.offering
    return list(offering.objectives.order_by("position")), list(offering.instructors.all())


# --------------------------------------------------------------------------------------
# Requests and reminders (Celery beat)
# --------------------------------------------------------------------------------------


def _asked_about(now: datetime) -> QuerySet[Enrolment]:
    """Confirmed participants of sessions that ended within the evaluation window."""
    return (
        Enrolment.objects.filter(
            status=Enrolment.Status.CONFIRMED,
            session__ends_at__lte=now,
            session__ends_at__gt=now - EVALUATION_WINDOW,
        )
        .exclude(session__status=Session.Status.CANCELLED)
        .exclude(attendance=Enrolment.Attendance.ABSENT)
    )


def evaluation_requests_due(*, now: datetime) -> list[int]:
    """Enrolments to ask for an evaluation now: attended ones as soon as the session is
    over, the others still unmarked a day after it ended; never twice."""
    return list(
        _asked_about(now)
        .filter(evaluation__isnull=True)
        .filter(
            Q(attendance=Enrolment.Attendance.ATTENDED)
            | Q(session__ends_at__lte=now - REQUEST_UNMARKED_AFTER)
        )
        .order_by("session__ends_at", "pk")
        .values_list("pk", flat=True)[:1000]
    )


def evaluation_request(*, enrolment_id: int, now: datetime) -> bool:
    """Email the trainee the link to the evaluation, unless already asked; True if asked now."""
    with transaction.atomic():
        enrolment = (
            _asked_about(now)
            .select_for_update(of=("self",))
            .select_related("trainee")
            .filter(pk=enrolment_id)
            .first()
        )
        if enrolment is None or Evaluation.objects.filter(enrolment=enrolment).exists():
            return False
        Evaluation.objects.create(enrolment=enrolment, requested_at=now)
        email_queue(
            kind="evaluation_request",
            to=enrolment.trainee.email,
            key=f"evaluation_request:{enrolment.pk}",
            enrolment=enrolment,
        )
    return True


def _reminders_due(now: datetime) -> QuerySet[Evaluation]:
    return (
        Evaluation.objects.filter(
            enrolment__in=_asked_about(now),
            requested_at__isnull=False,
            submitted_at__isnull=True,
            reminders_sent__lt=REMINDERS_MAX,
        )
        .alias(last_contact=Coalesce("last_reminded_at", "requested_at"))
        .filter(last_contact__lte=now - REMINDER_SPACING)
    )


def evaluation_reminders_due(*, now: datetime) -> list[int]:
    """Evaluations still missing whose last email is at least REMINDER_SPACING old."""
    return list(_reminders_due(now).order_by("requested_at", "pk").values_list("pk", flat=True))


def evaluation_remind(*, evaluation_id: int, now: datetime) -> bool:
    """Remind the trainee of a missing evaluation if one is due; True if reminded now.

    Checked again under the row lock, so running the task twice sends one reminder.
    """
    with transaction.atomic():
        evaluation = (
            _reminders_due(now)
            .select_for_update(of=("self",))
            .select_related("enrolment__trainee")
            .filter(pk=evaluation_id)
            .first()
        )
        if evaluation is None:
            return False
        evaluation.reminders_sent += 1
        evaluation.last_reminded_at = now
        evaluation.save(update_fields=["reminders_sent", "last_reminded_at"])
        email_queue(
            kind="evaluation_reminder",
            to=evaluation.enrolment.trainee.email,
            key=f"evaluation_reminder:{evaluation.pk}:{evaluation.reminders_sent}",
            enrolment=evaluation.enrolment,
        )
    return True


# --------------------------------------------------------------------------------------
# Submitting
# --------------------------------------------------------------------------------------


def _check_answers(
    answers: EvaluationAnswers,
    objectives: list[LearningObjective],
    instructors: list[Instructor],
) -> None:
    if set(answers.objective_ratings) != {o.pk for o in objectives} or set(
        answers.instructor_ratings
    ) != {i.pk for i in instructors}:
        raise EvaluationRefused(
            _("The course's objectives or instructors changed: please answer again.")
        )
    ratings = [
        answers.overall_rating,
        *answers.objective_ratings.values(),
        *answers.instructor_ratings.values(),
    ]
    if any(rating not in Rating.values for rating in ratings):
        raise EvaluationRefused(_("Each rating is a number from 1 to 5."))
    if max(len(answers.useful), len(answers.improve)) > TEXT_MAX_LENGTH:
        raise EvaluationRefused(
            _("Answers are limited to %(max)d characters.") % {"max": TEXT_MAX_LENGTH}
        )


def evaluation_submit(
    *, enrolment: Enrolment, answers: EvaluationAnswers, now: datetime
) -> Evaluation:
    """Store the trainee's answers, once, then issue the CE certificate if they bought CE.

    The answers are stored in one transaction; if the CE certificate is refused (e.g.
    attendance not marked yet, provider number expired) the evaluation stays stored and
    the reason is kept on it for the coordinator.
    """
    with transaction.atomic():
        locked = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("session__offering")
            .get(pk=enrolment.pk)
        )
        evaluation = Evaluation.objects.filter(enrolment=locked).first()
        if evaluation is not None and evaluation.submitted_at is not None:
            raise EvaluationRefused(_("You already submitted this evaluation."))
        objectives, instructors = evaluation_questions(enrolment=locked)
        _check_answers(answers, objectives, instructors)
        if evaluation is None:
            evaluation = Evaluation(enrolment=locked)
        evaluation.overall_rating = answers.overall_rating
        evaluation.useful = answers.useful
        evaluation.improve = answers.improve
        evaluation.submitted_at = now
        evaluation.save()
        ObjectiveRating.objects.bulk_create(
            ObjectiveRating(
                evaluation=evaluation,
                objective=objective,
                objective_text=objective.text,
                rating=answers.objective_ratings[objective.pk],
            )
            for objective in objectives
        )
        InstructorRating.objects.bulk_create(
            InstructorRating(
                evaluation=evaluation,
                instructor=instructor,
                instructor_name=instructor.display_name,
                rating=answers.instructor_ratings[instructor.pk],
            )
            for instructor in instructors
        )
    if locked.credit_type_id:
        _ce_certificate_issue(evaluation=evaluation, now=now)
    return evaluation


def _ce_certificate_issue(*, evaluation: Evaluation, now: datetime) -> None:
    """Issue what the submitted evaluation unlocks; a refusal is kept, never raised."""
    enrolment = Enrolment.objects.get(pk=evaluation.enrolment_id)
    reason = ""
    try:
        with transaction.atomic():
            issued = certificates_issue_for_enrolment(enrolment=enrolment, now=now)
        if not any(c.kind == Certificate.Kind.CE for c in issued):
            # Issuing for the enrolment may pass over a CE refusal: ask for its reason.
            with transaction.atomic():
                certificate_issue(enrolment=enrolment, kind=Certificate.Kind.CE, now=now)
    except CertificateRefused as refusal:
        reason = str(refusal)
    except Exception:
        # The evaluation is stored whatever happens here: the coordinator issues by hand.
        logger.exception("CE certificate for enrolment %s failed after evaluation", enrolment.pk)
        reason = _("The certificate could not be issued automatically.")
    if reason:
        logger.warning(
            "CE certificate held after evaluation of enrolment %s: %s", enrolment.pk, reason
        )
        evaluation.ce_certificate_held = reason
        Evaluation.objects.filter(pk=evaluation.pk).update(ce_certificate_held=reason)


# --------------------------------------------------------------------------------------
# The coordinator's summary of a session's evaluations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingSummary:
    label: str
    average: float | None
    count: int
    distribution: tuple[int, ...]  # how many rated 1, 2, 3, 4, 5


@dataclass(frozen=True)
class EvaluationSummary:
    session: Session
    participants: int
    requested: int
    submitted: int
    overall: RatingSummary
    objectives: list[RatingSummary]
    instructors: list[RatingSummary]
    comments: list[tuple[str, str]]  # (what was useful, what to improve)


def _distribution(prefix: str = "") -> dict[str, Count]:
    return {
        f"n{value}": Count("pk", filter=Q(**{f"{prefix}rating": value})) for value in Rating.values
    }


def _summary(label: str, row: dict) -> RatingSummary:
    return RatingSummary(
        label=label,
        average=row["average"],
        count=row["count"],
        distribution=tuple(row[f"n{value}"] for value in Rating.values),
    )


def session_evaluation_summary(*, session: Session) -> EvaluationSummary:
    """Averages and counts per objective, per instructor and overall, and the comments, in a
    fixed number of queries whatever the number of evaluations."""
    evaluations = Evaluation.objects.filter(enrolment__session=session)
    submitted = evaluations.filter(submitted_at__isnull=False)
    counts = evaluations.aggregate(
        requested=Count("pk", filter=Q(requested_at__isnull=False)),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
    )
    overall = submitted.aggregate(
        average=Avg("overall_rating"),
        count=Count("pk"),
        **_distribution("overall_"),
    )
    objectives = (
        ObjectiveRating.objects.filter(evaluation__in=submitted)
        .values("objective_id", "objective_text", "objective__position")
        .annotate(average=Avg("rating"), count=Count("pk"), **_distribution())
        .order_by("objective__position", "objective_text")
    )
    instructors = (
        InstructorRating.objects.filter(evaluation__in=submitted)
        .values("instructor_id", "instructor_name")
        .annotate(average=Avg("rating"), count=Count("pk"), **_distribution())
        .order_by("instructor_name")
    )
    comments = [
        (useful, improve)
        for useful, improve in submitted.order_by("submitted_at", "pk").values_list(
            "useful", "improve"
        )
        if useful or improve
    ]
    participants = (
        Enrolment.objects.filter(session=session, status=Enrolment.Status.CONFIRMED)
        .exclude(attendance=Enrolment.Attendance.ABSENT)
        .count()
    )
    return EvaluationSummary(
        session=session,
        participants=participants,
        requested=counts["requested"],
        submitted=counts["submitted"],
        overall=_summary(_("Overall"), overall),
        objectives=[_summary(row["objective_text"], row) for row in objectives],
        instructors=[_summary(row["instructor_name"], row) for row in instructors],
        comments=comments,
    )


def ce_certificate_issued() -> Exists:
    """For annotating evaluations: does their enrolment hold a valid CE certificate?"""
    return Exists(
        Certificate.objects.filter(
            enrolment=OuterRef("enrolment"),
            kind=Certificate.Kind.CE,
            status=Certificate.Status.VALID,
        )
    )
