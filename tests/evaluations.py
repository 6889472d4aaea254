"""Course evaluations as the trainee gives them: submitted outright, or posted as the form."""

from datetime import datetime

from catalog.formatting import PACIFIC
from certificates.models import Evaluation
from registration.models import Enrolment

# After the first 2027 session (Mon, Jun 21, 2027, 9 AM – 5 PM PT) has ended.
AFTER = datetime(2027, 7, 1, 12, 0, tzinfo=PACIFIC)


def submit_evaluation(enrolment: Enrolment, *, at: datetime = AFTER) -> Evaluation:
    """The trainee's course evaluation, submitted."""
    return Evaluation.objects.create(
        enrolment=enrolment, requested_at=at, submitted_at=at, overall_rating=5
    )


def answers(enrolment: Enrolment, rating: int = 4, **overrides) -> dict:
    """A complete, valid evaluation as the form posts it."""
    offering = enrolment.session.offering
    data = {f"objective_{o.pk}": rating for o in offering.objectives.all()}
    data |= {f"instructor_{i.pk}": rating for i in offering.instructors.all()}
    data |= {"overall_rating": rating, "useful": "The role plays.", "improve": "More breaks."}
    data.update(overrides)
    return data
