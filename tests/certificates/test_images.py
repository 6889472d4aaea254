"""Images printed on certificates, uploaded by staff: a credit type's signature, the center's
logo and signature. Real PNG or JPEG images only, verified and re-encoded; anything else is
refused with a clear message next to the field, and nothing changes."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from catalog.images import MAX_UPLOAD_BYTES
from catalog.models import SiteSettings
from certificates.models import Certificate
from certificates.services.issuing import CertificateRefused, certificate_issue
from certificates.services.rendering import certificate_pdf
from tests.admin_forms import admin_form_data
from tests.evaluations import AFTER, submit_evaluation
from tests.pdfs import pdf_text


def change_url(obj) -> str:
    return reverse(f"admin:catalog_{obj._meta.model_name}_change", args=[obj.pk])


def image_bytes(kind: str, size=(480, 160), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "#14325c").save(buffer, kind, **save)
    return buffer.getvalue()


def upload(admin_client, obj, field: str, name: str, content: bytes, content_type="image/png"):
    data = admin_form_data(admin_client, change_url(obj))
    data[field] = SimpleUploadedFile(name, content, content_type=content_type)
    return admin_client.post(change_url(obj), data)


def test_a_text_file_named_png_is_refused_and_no_brn_certificate_is_issued(
    admin_client, attended, brn
):
    brn.signature = ""
    brn.save()

    response = upload(admin_client, brn, "signature", "signature.png", b"Signed: Jane Rowan\n")

    assert response.status_code == 200
    assert "“signature.png” is not a PNG or JPEG image." in response.content.decode()
    brn.refresh_from_db()
    assert not brn.signature
    enrolment = attended(credit_type=brn, profession="rn")
    submit_evaluation(enrolment)
    with pytest.raises(CertificateRefused) as refused:
        certificate_issue(enrolment=enrolment, kind=Certificate.Kind.CE, now=AFTER)
    assert "signature missing" in refused.value.args[0]
    assert not Certificate.objects.filter(kind=Certificate.Kind.CE).exists()


BAD_SIGNATURES = [
    pytest.param(
        "signature.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "“signature.svg” is an SVG drawing: upload it as a PNG or JPEG image.",
        id="svg",
    ),
    pytest.param(
        "signature.png",
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
        "“signature.png” is an SVG drawing: upload it as a PNG or JPEG image.",
        id="svg-named-png",
    ),
    pytest.param(
        "signature.gif",
        image_bytes("GIF"),
        "“signature.gif” is a GIF image: only PNG and JPEG images are accepted.",
        id="gif",
    ),
    pytest.param(
        "signature.png",
        image_bytes("PNG")[:200],
        "“signature.png” is not a PNG or JPEG image.",
        id="truncated-png",
    ),
    pytest.param(
        "signature.png",
        image_bytes("PNG", size=(6000, 4000), mode="1"),
        "“signature.png” is 6000 × 4000 pixels: an image of at most 20 megapixels, please.",
        id="too-many-pixels",
    ),
    pytest.param(
        "signature.jpg",
        b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES,
        "“signature.jpg” is 5.0\xa0MB: an image of at most 5.0\xa0MB, please.",
        id="too-large-a-file",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_SIGNATURES)
def test_bad_signature_uploads_are_refused_and_change_nothing(
    admin_client, brn, name, content, message
):
    before = brn.signature.name

    response = upload(admin_client, brn, "signature", name, content)

    assert response.status_code == 200
    assert message in response.content.decode()
    brn.refresh_from_db()
    assert brn.signature.name == before


def test_a_jpeg_signature_is_re_encoded_scaled_down_and_printed(admin_client, attended, brn):
    photo = image_bytes("JPEG", size=(3000, 1000), quality=95)

    response = upload(admin_client, brn, "signature", "scan.JPG", photo, "image/jpeg")

    assert response.status_code == 302, response.content.decode()[:2000]
    brn.refresh_from_db()
    assert brn.signature.name.startswith("signatures/") and brn.signature.name.endswith(".jpg")
    with brn.signature.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
    assert (image.format, image.size) == ("JPEG", (1200, 400))

    enrolment = attended(credit_type=brn, profession="rn")
    submit_evaluation(enrolment)
    certificate = certificate_issue(enrolment=enrolment, kind=Certificate.Kind.CE, now=AFTER)

    pdf = certificate_pdf(certificate)
    [printed] = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert printed.image.size == (1200, 400)
    assert "Jane Rowan, RN, Director of Continuing Education" in pdf_text(pdf)


def test_the_centers_logo_is_a_real_image_too(admin_client):
    site = SiteSettings.objects.get()

    refused = upload(admin_client, site, "logo", "logo.png", b"not an image")

    assert refused.status_code == 200
    assert "is not a PNG or JPEG image." in refused.content.decode()
    site.refresh_from_db()
    assert not site.logo

    accepted = upload(admin_client, site, "logo", "logo.png", image_bytes("PNG", mode="RGBA"))

    assert accepted.status_code == 302
    site.refresh_from_db()
    with site.logo.open("rb") as stored:
        assert Image.open(io.BytesIO(stored.read())).format == "PNG"
