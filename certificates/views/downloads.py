"""Certificate downloads: a certificate's PDF (the trainee's own, or any for staff) and the
signed-in trainee's CE transcript."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from registration.selectors import profile_of

from .. import selectors
from ..services import delivery, rendering


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
    pdf = delivery.certificate_pdf_bytes(certificate=certificate)
    return _pdf_response(pdf, rendering.pdf_filename(certificate))


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
