"""Certificates and CE transcripts as PDFs: one template per kind, drawn by WeasyPrint with the
fonts shipped in static/. The QR code and the signature are embedded as data: URIs, so the
renderer fetches nothing but our own fonts (see polaris.pdf)."""

import base64
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import segno
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from catalog.models import CreditType, SiteSettings
from polaris.pdf import render_pdf, static_base_url, static_file_uri

from .models import Certificate

ATTENDANCE_TEMPLATE = "certificates/pdf/attendance.html"
# CE certificates by credit type code; any other credit type gets the generic CE layout.
CE_TEMPLATES = {"apa": "certificates/pdf/ce_apa.html", "brn": "certificates/pdf/ce_brn.html"}
CE_TEMPLATE = "certificates/pdf/ce.html"
# The certificates' stylesheet, a static file: linked from a certificate rendered on its own,
# handed to WeasyPrint already parsed when the pipeline renders one (see polaris.pdf).
CERTIFICATE_STYLESHEET = "pdf/certificate.css"
QR_MASK = 0
TRANSCRIPT_TEMPLATE = "certificates/pdf/transcript.html"


def certificate_template(certificate: Certificate) -> str:
    if certificate.kind == Certificate.Kind.ATTENDANCE:
        return ATTENDANCE_TEMPLATE
    return CE_TEMPLATES.get(certificate.credit_type.code, CE_TEMPLATE)


def fonts() -> dict[str, str]:
    return {
        "regular": static_file_uri("fonts/DejaVuSans.ttf"),
        "bold": static_file_uri("fonts/DejaVuSans-Bold.ttf"),
    }


def qr_data_uri(url: str) -> str:
    """An SVG QR code of the URL, ready for <img src>. Any of the eight masks is valid and
    scans alike; choosing the best one costs segno more than the rest of the page's HTML."""
    return segno.make(url, error="m", micro=False, mask=QR_MASK).svg_data_uri(scale=4, border=0)


def image_data_uri(file) -> str | None:
    """A stored image (the signature) as a data: URI; None when there is none to read."""
    if not file:
        return None
    content_type = mimetypes.guess_type(file.name)[0] or "image/png"
    try:
        with file.open("rb") as image:
            data = image.read()
    except OSError:
        return None
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def _title(certificate: Certificate) -> str:
    if certificate.kind == Certificate.Kind.ATTENDANCE:
        return _("Certificate of Attendance")
    return _("Continuing Education Certificate")


def certificate_context(certificate: Certificate) -> dict:
    from .services import verification_url

    credit_type: CreditType | None = certificate.credit_type
    site = SiteSettings.current()
    url = verification_url(certificate)
    title = _title(certificate)
    return {
        "certificate": certificate,
        "credit_type": credit_type,
        "site": site,
        "title": title,
        "document_title": f"{title} · {certificate.course_title} · {certificate.legal_name}",
        "subject": _("%(title)s for %(name)s: %(course)s, %(dates)s")
        % {
            "title": title,
            "name": certificate.legal_name,
            "course": certificate.course_title,
            "dates": certificate.session_dates,
        },
        "qr": qr_data_uri(url),
        "verify_url": url,
        "signature": image_data_uri(credit_type.signature) if credit_type else None,
    }


def certificate_html(certificate: Certificate, *, linked_stylesheet: bool = True) -> str:
    """The certificate as an HTML document, linking its stylesheet (relative to the static
    files) unless the caller applies it itself."""
    context = certificate_context(certificate)
    context["stylesheet"] = CERTIFICATE_STYLESHEET if linked_stylesheet else None
    return render_to_string(certificate_template(certificate), context)


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF: letter landscape, one page."""
    return render_pdf(
        certificate_html(certificate, linked_stylesheet=False),
        base_url=static_base_url(),
        stylesheets=(CERTIFICATE_STYLESHEET,),
    )


@dataclass(frozen=True)
class CreditTotal:
    credit_type: CreditType
    credits: Decimal


def credit_totals(certificates: list[Certificate]) -> list[CreditTotal]:
    """CE credits summed per credit type, in the credit types' order."""
    totals: dict[int, CreditTotal] = {}
    for certificate in certificates:
        total = totals.get(certificate.credit_type_id)
        credits = (total.credits if total else Decimal(0)) + (certificate.credits or 0)
        totals[certificate.credit_type_id] = CreditTotal(certificate.credit_type, credits)
    return sorted(totals.values(), key=lambda t: (t.credit_type.sort_order, t.credit_type.name))


def transcript_pdf(*, legal_name: str, certificates: list[Certificate], now: datetime) -> bytes:
    """A trainee's CE transcript: every valid CE certificate, with totals per credit type."""
    site = SiteSettings.current()
    html = render_to_string(
        TRANSCRIPT_TEMPLATE,
        {
            "site": site,
            "legal_name": legal_name,
            "certificates": certificates,
            "totals": credit_totals(certificates),
            "printed_at": now,
            "fonts": fonts(),
            "document_title": _("CE transcript · %(name)s") % {"name": legal_name},
        },
    )
    return render_pdf(html, base_url=static_base_url())
