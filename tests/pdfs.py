"""Reading PDFs as a reader quotes them, and a small PNG to upload as a signature or logo."""

import io
import re

import segno
from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace collapsed, as a reader would quote it."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages)).strip()


def pdf_of(certificate) -> bytes:
    """The certificate's rendered PDF, as stored now."""
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as pdf:
        return pdf.read()


def png_image() -> bytes:
    """A small PNG (segno draws it; no image library needed)."""
    buffer = io.BytesIO()
    segno.make("signature", micro=False).save(buffer, kind="png", scale=3)
    return buffer.getvalue()
