"""The trainee's own account: their profile (what certificates carry), and closing the
account, after being told what goes and what the CE rules keep."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ..forms import AccountCloseForm, ProfileForm
from ..selectors import (
    account_closure_summary,
    cart_has_items,
    profile_of,
)
from ..services import accounts


@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def account_close(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form = AccountCloseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.account_close(user=request.user, now=now)
        except accounts.AccountCloseRefused as refused:
            form.add_error(None, str(refused))
        else:
            logout(request)
            messages.success(
                request,
                _(
                    "Your account is closed and you are signed out. Your certificates can "
                    "still be verified with their codes."
                ),
            )
            return redirect("catalog:home")
    return render(
        request,
        "registration/account_close.html",
        {"form": form, "summary": account_closure_summary(trainee=request.user, now=now)},
        status=400 if form.errors else 200,
    )


def _safe_next(request: HttpRequest) -> str:
    """The `next` address if it stays on this site; never an open redirect."""
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    instance = profile_of(request.user)
    form = ProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.user = request.user
        saved.save()
        messages.success(request, _("Your profile was saved."))
        # Back where the trainee came from; else to what they have started, never to an
        # empty cart.
        return redirect(
            _safe_next(request)
            or (
                "registration:cart"
                if cart_has_items(trainee=request.user)
                else "registration:my_trainings"
            )
        )
    return render(
        request, "registration/profile.html", {"form": form}, status=400 if form.errors else 200
    )
