"""Pages of the gated offerings: the practicum invitation link, the experiential intake and
its clinical review, and interest lists. Each view parses, calls a service, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from catalog.selectors import published_offerings
from polaris.ratelimit import client_address

from .. import selectors
from ..forms import IntakeForm, IntakeReviewForm, InterestForm
from ..models import Intake
from ..services import intake as intake_services
from ..services import interest, invitations


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation email: shows the invitation; accepting it is a POST, so that
    a mail scanner following the link uses nothing up."""
    now = timezone.now()
    try:
        if request.method == "POST":
            found = invitations.invitation_accept(token=token, trainee=request.user, now=now)
        else:
            found = invitations.invitation_check(token=token, trainee=request.user, now=now)
    except invitations.InvitationRefused as refused:
        return render(
            request, "registration/invitation_refused.html", {"reason": str(refused)}, status=403
        )
    if request.method == "POST":
        messages.success(
            request,
            _("Your invitation to %(offering)s is accepted: you can now register for a session.")
            % {"offering": found.offering.display_title},
        )
        return redirect(found.offering.get_absolute_url())
    return render(request, "registration/invitation.html", {"invitation": found})


@sensitive_post_parameters()  # health answers stay out of error reports
@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The trainee's own intake: its status and answers, or the form to submit one."""
    current = selectors.intake_current(trainee=request.user)
    can_submit = intake_services.intake_can_submit(current=current, now=timezone.now())
    questions = selectors.intake_questions()
    form = IntakeForm(request.POST or None, questions=questions) if can_submit else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            intake_services.intake_submit(
                trainee=request.user,
                answers=form.answers(),
                questions=questions,
                now=timezone.now(),
            )
        except intake_services.IntakeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Your intake is submitted. We will email you once it is reviewed.")
            )
            return redirect("registration:intake")
    return render(
        request,
        "registration/intake.html",
        {
            "intake": current,
            "answers": list(current.answers.all()) if current else [],
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
@login_required
def intake_withdraw(request: HttpRequest) -> HttpResponse:
    current = selectors.intake_current(trainee=request.user)
    if current is not None and current.status != Intake.Status.WITHDRAWN:
        intake_services.intake_withdraw(intake=current, now=timezone.now())
        messages.success(request, _("Your intake is withdrawn and your answers are deleted."))
    return redirect("registration:intake")


@require_safe
@login_required
@permission_required(intake_services.INTAKE_ANSWERS_PERMISSION, raise_exception=True)
def intake_review_list(request: HttpRequest) -> HttpResponse:
    """The intakes a clinical reviewer can open (the view is recorded)."""
    awaiting, others = intake_services.intakes_for_review(viewer=request.user, now=timezone.now())
    return render(
        request, "registration/intake_review_list.html", {"awaiting": awaiting, "others": others}
    )


@sensitive_post_parameters()
@login_required
@permission_required(intake_services.INTAKE_ANSWERS_PERMISSION, raise_exception=True)
def intake_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A clinical reviewer reads an intake (the view is recorded) and decides on it."""
    found = get_object_or_404(Intake.objects.select_related("trainee__trainee_profile"), pk=pk)
    form = IntakeReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            intake_services.intake_review(
                intake=found,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                by=request.user,
                now=timezone.now(),
            )
        except intake_services.IntakeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The decision is recorded and the trainee emailed."))
            return redirect("registration:intake_review_list")
    answers = intake_services.intake_answers_for_staff(
        intake=found, viewer=request.user, now=timezone.now()
    )
    return render(
        request,
        "registration/intake_review.html",
        {"intake": found, "answers": answers, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def interest_signup(request: HttpRequest, slug: str) -> HttpResponse:
    """Leave a name and email to hear when an offering's dates are published."""
    offering = get_object_or_404(published_offerings(), slug=slug)
    form = InterestForm(request.POST or None)
    if request.method == "POST" and form.is_spam:
        return render(request, "registration/interest_thanks.html", {"offering": offering})
    if request.method == "POST" and form.is_valid():
        if not interest.interest_rate_take(client=client_address(request)):
            return render(
                request,
                "registration/interest_rate_limited.html",
                {"offering": offering},
                status=429,
            )
        interest.interest_signup(
            offering=offering,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            now=timezone.now(),
            submission=form.cleaned_data["submission"],
        )
        return render(request, "registration/interest_thanks.html", {"offering": offering})
    return render(
        request,
        "registration/interest_signup.html",
        {"offering": offering, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def interest_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation email; confirming is a POST, so a mail scanner following
    the link confirms nothing."""
    return _interest_link(request, token, action="confirm")


@require_http_methods(["GET", "HEAD", "POST"])
def interest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return _interest_link(request, token, action="unsubscribe")


def _interest_link(request: HttpRequest, token: str, *, action: str) -> HttpResponse:
    done = None
    confirmed = []
    try:
        if request.method == "POST" and action == "confirm":
            signup, confirmed = interest.interest_confirm(token=token, now=timezone.now())
            done = bool(confirmed)
        elif request.method == "POST":
            signup, done = interest.interest_unsubscribe(token=token, now=timezone.now())
        else:
            signup = interest.interest_check(token=token)
    except interest.InterestLinkRefused as refused:
        return render(
            request,
            "registration/interest_link.html",
            {"reason": str(refused), "action": action},
            status=404,
        )
    return render(
        request,
        "registration/interest_link.html",
        {"signup": signup, "action": action, "done": done, "confirmed": confirmed},
    )
