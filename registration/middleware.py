"""Staff use the site only once signed in with two factors: one without an authenticator is
sent to set one up, one whose session was opened with a password alone (signed in before two
factors were required, say) to enter its code. Admin staff and superusers are held on every
page but the account pages; other holders of a staff role on the staff pages (the clinical
review) and on certificate downloads, the pages their role opens.

Requests without a session cookie are not looked at, so the public pages cost nothing more.
"""

from datetime import UTC, datetime

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from .roles import needs_second_factor

# Signing in and out, and the account pages where the second factor is set up and entered.
OPEN_PAGES = ("/accounts/", "/admin/login/", "/admin/logout/")
# What a staff role opens beyond the admin, which only admin staff reach.
ROLE_PAGES = ("/admin/", "/staff/", "/certificates/")
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def _held(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith(OPEN_PAGES) or not request.user.is_authenticated:
        return False
    user = request.user
    if user.is_staff or user.is_superuser:
        return True
    return path.startswith(ROLE_PAGES) and needs_second_factor(user)


def _signed_in_with_second_factor(request: HttpRequest) -> bool:
    """The session was signed in with the authenticator's code, or the authenticator was set
    up after the session was signed in (setting it up took a code from it)."""
    records = get_authentication_records(request, request.user)
    if any(record.get("method") == "mfa" for record in records):
        return True
    if not records:
        return False
    signed_in_at = datetime.fromtimestamp(min(record["at"] for record in records), tz=UTC)
    return Authenticator.objects.filter(
        user=request.user, type__in=SECOND_FACTORS, created_at__gte=signed_in_at
    ).exists()


class StaffSecondFactorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES and _held(request):
            if not is_mfa_enabled(request.user, SECOND_FACTORS):
                messages.warning(
                    request,
                    _(
                        "Staff pages need two-factor authentication: set up an authenticator "
                        "app to continue. From then on you enter its code each time you sign in."
                    ),
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            if not _signed_in_with_second_factor(request):
                messages.info(
                    request,
                    _("Staff pages need the code from your authenticator app to continue."),
                )
                query = QueryDict(mutable=True)
                query["next"] = request.get_full_path()
                return HttpResponseRedirect(
                    f"{reverse('mfa_reauthenticate')}?{query.urlencode(safe='/')}"
                )
        return self.get_response(request)
