"""The trainee's course evaluation page: parse the answers, call the service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from registration.selectors import attendance_shortfall

from ..forms import EvaluationForm
from ..services import evaluations


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def evaluation(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    now = timezone.now()
    enrolment = get_object_or_404(
        evaluations.evaluable_enrolments(trainee=request.user, now=now), pk=enrolment_id
    )
    submitted = evaluations.evaluation_of(enrolment)
    if submitted is not None and submitted.submitted_at is not None:
        if request.method == "POST":
            messages.error(request, _("You already submitted this evaluation."))
            return redirect("evaluations:evaluation", enrolment_id=enrolment.pk)
        return render(
            request,
            "certificates/evaluation_done.html",
            {"enrolment": enrolment, "evaluation": submitted},
        )
    objectives, instructors = evaluations.evaluation_questions(enrolment=enrolment)
    form = EvaluationForm(
        request.POST if request.method == "POST" else None,
        objectives=objectives,
        instructors=instructors,
    )
    if form.is_valid():
        try:
            evaluation = evaluations.evaluation_submit(
                enrolment=enrolment, answers=form.answers(), now=now
            )
        except evaluations.EvaluationRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("evaluations:evaluation", enrolment_id=enrolment.pk)
        messages.success(request, _("Thank you: your evaluation was submitted."))
        if enrolment.credit_type_id:
            messages.info(request, _ce_certificate_news(enrolment, evaluation))
        return redirect("evaluations:evaluation", enrolment_id=enrolment.pk)
    return render(
        request,
        "certificates/evaluation.html",
        {"enrolment": enrolment, "form": form, "partial": _partial_attendance(enrolment, now)},
        status=400 if form.errors else 200,
    )


def _partial_attendance(enrolment, now) -> str:
    """For a trainee whose attendance is recorded as partial, why it is: they get no
    certificate (BRN 16 CCR §1451(c); APA: full attendance only), and are told so."""
    if enrolment.attendance != enrolment.Attendance.PARTIAL:
        return ""
    shortfall = attendance_shortfall(enrolment, now=now)
    return (
        _("Your attendance is recorded as partial: %(shortfall)s.") % {"shortfall": shortfall}
        if shortfall
        else _("Your attendance is recorded as partial.")
    )


def _ce_certificate_news(enrolment, evaluation) -> str:
    credit = enrolment.credit_type.name
    partial = _partial_attendance(enrolment, timezone.now())
    if partial:
        return " ".join(
            (partial, _("Partial attendance earns no CE credit, so no certificate is issued."))
        )
    if not evaluation.ce_certificate_held:
        return _("Your %(credit)s certificate is issued: it is on its way to you by email.") % {
            "credit": credit
        }
    if enrolment.attendance != enrolment.Attendance.ATTENDED:
        return _(
            "Your %(credit)s certificate will follow by email once the coordinator has "
            "confirmed your attendance."
        ) % {"credit": credit}
    return _(
        "Your %(credit)s certificate could not be issued yet: the coordinator has been told "
        "and will send it to you."
    ) % {"credit": credit}
