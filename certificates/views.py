"""Certificate pages: the PDF download (the trainee's own, or any for staff), the CE
transcript, and the public verification page (rate-limited per address)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from polaris.ratelimit import client_address, rate_take
from registration.selectors import profile_of

from . import rendering, selectors, services
from .models import Certificate

# Verification lookups allowed per client address and minute: enough for a person checking
# a stack of certificates, too few to walk the code space.
VERIFY_PER_MINUTE = 30


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate's PDF; a 404 for anyone who may not see it, signed in or not."""
    certificate = selectors.certificate_for_download(code=code, user=request.user)
    if certificate is None:
        raise Http404
    pdf = services.certificate_pdf_bytes(certificate=certificate)
    return _pdf_response(pdf, services.pdf_filename(certificate))


@require_safe
@login_required
def transcript(request: HttpRequest) -> HttpResponse:
    """The signed-in trainee's CE transcript."""
    profile = profile_of(request.user)
    certificates = list(selectors.trainee_ce_certificates(trainee=request.user))
    pdf = rendering.transcript_pdf(
        legal_name=selectors.transcript_name(
            certificates=certificates,
            fallback=profile.legal_name if profile and profile.legal_name else request.user.email,
        ),
        certificates=certificates,
        now=timezone.now(),
    )
    return _pdf_response(pdf, "polaris-ce-transcript.pdf")


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
