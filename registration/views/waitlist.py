"""Waitlists: join a full session, leave, and take an offered seat (from the page or the
offer email's link)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import Session

from ..models import WaitlistEntry
from ..services import waitlist
from ..services.exceptions import (
    WaitlistError,
)


@require_POST
@login_required
def waitlist_join(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session.objects.select_related("offering"), pk=session_id)
    try:
        waitlist.waitlist_join(trainee=request.user, session=session, now=timezone.now())
    except WaitlistError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You are on the waitlist for %(session)s. We will email you if a seat opens.")
            % {"session": session},
        )
    return redirect(session.offering.get_absolute_url())


@require_POST
@login_required
def waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(WaitlistEntry, pk=entry_id, trainee=request.user)
    waitlist.waitlist_leave(entry=entry, now=timezone.now())
    messages.success(request, _("You have left the waitlist."))
    return redirect("registration:my_trainings")


@require_POST
@login_required
def waitlist_accept(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(
        WaitlistEntry.objects.select_related("session__offering"), pk=entry_id, trainee=request.user
    )
    try:
        waitlist.waitlist_accept(entry=entry, now=timezone.now())
    except WaitlistError as error:
        messages.error(request, str(error))
        return redirect("registration:my_trainings")
    messages.success(
        request, _("The seat is in your cart: complete your order before the offer ends.")
    )
    return redirect("registration:cart")


@login_required
def waitlist_take(request: HttpRequest, token: str) -> HttpResponse:
    """The offer email's "Take the seat" link: a page that says what is held and until when,
    whose button puts the seat in the cart (a GET changes nothing: mail scanners open links)."""
    now = timezone.now()
    try:
        entry = waitlist.waitlist_offer_by_token(token=token, trainee=request.user)
    except WaitlistError as error:
        return render(
            request, "registration/waitlist_take.html", {"problem": str(error)}, status=404
        )
    if request.method == "POST":
        try:
            waitlist.waitlist_take_by_link(entry=entry, now=now)
        except WaitlistError as error:
            messages.error(request, str(error))
            return redirect("registration:waitlist_take", token=token)
        messages.success(
            request, _("The seat is in your cart: complete your order before the offer ends.")
        )
        return redirect("registration:cart")
    problem = waitlist.waitlist_offer_link_problem(entry=entry, now=now)
    return render(
        request,
        "registration/waitlist_take.html",
        {"entry": entry, "problem": problem},
        status=410 if problem else 200,
    )
