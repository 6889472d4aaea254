"""The public verification page (rate-limited per address), and the form to type a code."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from polaris.ratelimit import client_address, rate_take

from .. import selectors
from ..models import Certificate

# Verification lookups allowed per client address and minute: enough for a person checking
# a stack of certificates, too few to walk the code space.
VERIFY_PER_MINUTE = 30


def _too_many_lookups(request: HttpRequest) -> bool:
    """Counts this client's lookups in the current minute."""
    limit = getattr(settings, "CERTIFICATE_VERIFY_PER_MINUTE", VERIFY_PER_MINUTE)
    return not rate_take(
        action="verify", client=client_address(request), limit=limit, period_seconds=60
    )


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """A form to type a verification code, for those reading a printed certificate."""
    code = selectors.normalize_code(request.GET.get("code", ""))
    if code:
        return redirect("certificates:verify", code=code[:40])
    return render(request, "certificates/verify_lookup.html")


@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Anyone can check a certificate: its status, and who, what and when; nothing more."""
    if _too_many_lookups(request):
        return _private(render(request, "certificates/verify_rate_limited.html", status=429))
    certificate = selectors.certificate_by_code(code=code)
    if certificate is None:
        return _private(
            render(request, "certificates/verify_not_found.html", {"code": code[:40]}, status=404)
        )
    current = None
    if certificate.status == Certificate.Status.SUPERSEDED:
        current = selectors.current_version(certificate)
    return _private(
        render(
            request, "certificates/verify.html", {"certificate": certificate, "current": current}
        )
    )
