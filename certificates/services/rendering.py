"""Certificates and CE transcripts as PDFs: a template per kind (and per credit type's layout),
drawn by WeasyPrint with the fonts shipped in static/. The QR code, the seal, the logo and the
signatures are embedded as data: URIs, so the renderer fetches nothing but our own fonts (see
polaris.pdf); stored images are read once per worker process."""

import base64
import math
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.models import CertificateLayout, CreditType, SiteSettings
from polaris.pdf import render_pdf, static_base_url, static_file_uri

from ..models import Certificate

ATTENDANCE_TEMPLATE = "certificates/pdf/attendance.html"
# CE certificates by their credit type's layout.
CE_TEMPLATES = {
    CertificateLayout.SPONSOR: "certificates/pdf/ce_sponsor.html",
    CertificateLayout.PROVIDER: "certificates/pdf/ce_provider.html",
}
# The certificates' stylesheet, a static file: linked from a certificate rendered on its own,
# handed to WeasyPrint already parsed when the pipeline renders one (see polaris.pdf).
CERTIFICATE_STYLESHEET = "pdf/certificate.css"
QR_MASK = 0
TRANSCRIPT_TEMPLATE = "certificates/pdf/transcript.html"
# Names and course titles longer than these are set smaller, so that a certificate stays
# one page whatever the trainee's name or the course's title.
LONG_NAME, LONGER_NAME = 32, 90
LONG_COURSE, LONGER_COURSE = 80, 150


def pdf_filename(certificate: Certificate) -> str:
    return f"polaris-certificate-{certificate.code}.pdf"


def verification_url(certificate: Certificate) -> str:
    """The certificate's public verification page, which its QR code and its email link to."""
    return settings.SITE_URL + reverse("certificates:verify", kwargs={"code": certificate.code})


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


# The center's star (static/img/polaris.svg), for the text mark and the seal.
_STAR = "M16 3l2.6 10.4L29 16l-10.4 2.6L16 29l-2.6-10.4L3 16l10.4-2.6z"
STAR = _svg_uri(
    f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" '
    f'r="15" fill="#1a2f4a"/><path fill="#d4a94f" d="{_STAR}"/></svg>'
)


def _seal() -> str:
    """A gold rosette around the star: the certificate's seal."""
    points = []
    for index in range(96):
        radius = 49 if index % 2 == 0 else 45.5
        angle = math.pi * index / 48
        points.append(f"{50 + radius * math.cos(angle):.2f},{50 + radius * math.sin(angle):.2f}")
    return _svg_uri(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<polygon fill="#c9a04a" points="{" ".join(points)}"/>'
        '<circle cx="50" cy="50" r="42" fill="#1a2f4a"/>'
        '<circle cx="50" cy="50" r="38.5" fill="none" stroke="#d4a94f" stroke-width="0.8"/>'
        '<circle cx="50" cy="50" r="36" fill="none" stroke="#d4a94f" stroke-width="0.4"/>'
        f'<path fill="#e2bc62" transform="translate(22 22) scale(1.75)" d="{_STAR}"/>'
        "</svg>"
    )


SEAL = _seal()
# A gold rule with the star at its middle, under the title.
ORNAMENT = _svg_uri(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 16">'
    '<path stroke="#c9a04a" stroke-width="0.8" d="M0 8h146M174 8h146"/>'
    f'<path fill="#c9a04a" transform="translate(152 0) scale(0.5)" d="{_STAR}"/>'
    "</svg>"
)


def certificate_template(certificate: Certificate) -> str:
    if certificate.kind == Certificate.Kind.ATTENDANCE:
        return ATTENDANCE_TEMPLATE
    layout = certificate.credit_type.certificate_layout
    return CE_TEMPLATES.get(layout, CE_TEMPLATES[CertificateLayout.SPONSOR])


def fonts() -> dict[str, str]:
    return {
        "regular": static_file_uri("fonts/DejaVuSans.ttf"),
        "bold": static_file_uri("fonts/DejaVuSans-Bold.ttf"),
    }


def qr_data_uri(url: str) -> str:
    """An SVG QR code of the URL, ready for <img src>. Any of the eight masks is valid and
    scans alike; choosing the best one costs segno more than the rest of the page's HTML."""
    return segno.make(url, error="m", micro=False, mask=QR_MASK).svg_data_uri(scale=4, border=0)


_images: dict[tuple[str, str], str] = {}
IMAGE_CACHE_LIMIT = 32


def _content_type(data: bytes, name: str) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def image_data_uri(file) -> str | None:
    """A stored image (a signature, the logo) as a data: URI, read once per process: uploads
    are stored under a name of their own and never rewritten. None when there is none."""
    if not file:
        return None
    key = (str(getattr(file.storage, "location", "")), file.name)
    uri = _images.get(key)
    if uri is None:
        try:
            with file.storage.open(file.name, "rb") as image:
                data = image.read()
        except OSError:
            return None
        if len(_images) >= IMAGE_CACHE_LIMIT:
            _images.clear()
        uri = f"data:{_content_type(data, file.name)};base64,{base64.b64encode(data).decode()}"
        _images[key] = uri
    return uri


def _title(certificate: Certificate) -> str:
    if certificate.kind == Certificate.Kind.ATTENDANCE:
        return _("Certificate of Attendance")
    return _("Continuing Education Certificate")


def _size(text: str, long: int, longer: int) -> str:
    return "longer" if len(text) > longer else "long" if len(text) > long else ""


def _one_line(address: str) -> str:
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


@dataclass(frozen=True)
class Signer:
    """Who signs a certificate: their signature image, name and title, and organisation."""

    signature: str | None
    signatory: str
    organisation: str


def _center_signer(site: SiteSettings) -> Signer:
    signatory = site.certificate_signatory
    if not signatory and site.coordinator_name:
        signatory = _("%(name)s, Training Coordinator") % {"name": site.coordinator_name}
    return Signer(image_data_uri(site.certificate_signature), signatory, site.center_name)


def certificate_signer(certificate: Certificate, site: SiteSettings) -> Signer:
    """The center's signatory on a Certificate of Attendance; the credit type's on a CE
    certificate, or the center's when the center is the sponsor and the credit type names
    nobody."""
    credit_type = certificate.credit_type
    if credit_type is None:
        return _center_signer(site)
    if credit_type.signature or credit_type.signatory:
        return Signer(
            image_data_uri(credit_type.signature),
            credit_type.signatory,
            credit_type.provider_name,
        )
    if credit_type.certificate_layout == CertificateLayout.SPONSOR:
        return _center_signer(site)
    return Signer(None, "", credit_type.provider_name)


def certificate_context(certificate: Certificate) -> dict:
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
        "logo": image_data_uri(site.logo),
        "star": STAR,
        "seal": SEAL,
        "ornament": ORNAMENT,
        "signer": certificate_signer(certificate, site),
        "provider_address": _one_line(credit_type.provider_address) if credit_type else "",
        "name_size": _size(certificate.display_name, LONG_NAME, LONGER_NAME),
        "course_size": _size(certificate.course_title, LONG_COURSE, LONGER_COURSE),
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
