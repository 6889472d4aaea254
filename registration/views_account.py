"""The trainee's own account: closing it, after being told what goes and what the CE rules
keep. The view parses, calls the service, renders."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from .forms import AccountCloseForm
from .selectors import account_closure_summary
from .services import accounts


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
