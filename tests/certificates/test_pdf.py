"""Certificate PDFs, read back with pypdf: what each kind must show (CE-RULES.md), the page,
the metadata, and rendering that loads nothing from the network."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from catalog.models import CreditType, OfferingCredit, SiteSettings
from certificates.models import Certificate
from certificates.services.issuing import certificate_issue
from certificates.services.rendering import (
    certificate_html,
    certificate_pdf,
    qr_data_uri,
    verification_url,
)
from polaris import pdf as polaris_pdf
from polaris.pdf import render_pdf, static_base_url
from registration.models import TraineeProfile
from tests.evaluations import AFTER, submit_evaluation
from tests.factories import LICENSES, CreditTypeFactory
from tests.pdfs import pdf_text, png_image

APA_STATEMENT = (
    "Polaris Insight Center is approved by the American Psychological Association to sponsor "
    "continuing education for psychologists. Polaris Insight Center maintains responsibility "
    "for this program and its content."
)
FOUR_YEARS = (
    "This document must be retained by the licensee for a period of four years after the "
    "course concludes."
)
COURSE = "Foundations of Ketamine-Assisted Psychotherapy"


def issue(enrolment, kind) -> Certificate:
    if kind == Certificate.Kind.CE:
        submit_evaluation(enrolment)
    return certificate_issue(enrolment=enrolment, kind=kind, now=AFTER)


def read(certificate: Certificate) -> tuple[PdfReader, str]:
    data = certificate_pdf(certificate)
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data)), pdf_text(data)


def test_certificate_of_attendance_shows_who_what_when_and_its_code(attended, make_trainee):
    trainee = make_trainee(legal_name="Dr. Amelia Ortiz-Baker", profession="md")
    certificate = issue(attended(trainee=trainee), Certificate.Kind.ATTENDANCE)
    reader, text = read(certificate)

    assert len(reader.pages) == 1
    for expected in (
        "Polaris Insight Center",
        "Certificate of Attendance",
        "Dr. Amelia Ortiz-Baker, MD",
        COURSE,
        "Date Mon, Jun 21, 2027",
        "Time 9:00 AM – 5:00 PM PT",
        "Format Live, interactive, via Zoom",
        "Training hours 8",
        "Jana Adamova, Training Coordinator",
        certificate.code,
        verification_url(certificate),
    ):
        assert expected in text
    assert "CE credits" not in text
    assert LICENSES["md"] not in text


def test_pages_are_letter_landscape_with_title_author_and_subject(attended):
    certificate = issue(attended(), Certificate.Kind.ATTENDANCE)
    reader, _ = read(certificate)

    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (792, 612)
    meta = reader.metadata
    assert meta.title == f"Certificate of Attendance · {COURSE} · {certificate.legal_name}"
    assert meta.author == "Polaris Insight Center"
    assert certificate.legal_name in meta.subject and COURSE in meta.subject


def test_apa_certificate_for_a_psychologist_has_credits_and_the_exact_sponsor_statement(
    attended, apa
):
    certificate = issue(attended(credit_type=apa), Certificate.Kind.CE)
    reader, text = read(certificate)

    assert len(reader.pages) == 1
    assert "Continuing Education Certificate" in text
    assert "APA CE credits 8" in text
    assert APA_STATEMENT in text
    assert apa.statement == APA_STATEMENT
    assert certificate.legal_name in text and COURSE in text and "Mon, Jun 21, 2027" in text
    assert reader.metadata.title.startswith("Continuing Education Certificate · ")


def test_apa_certificate_of_a_bbs_licensee_carries_license_type_and_number(attended, apa):
    certificate = issue(attended(credit_type=apa, profession="lmft"), Certificate.Kind.CE)
    _, text = read(certificate)

    assert "Licensed Marriage and Family Therapist (LMFT)" in text
    assert LICENSES["lmft"] in text
    assert APA_STATEMENT in text


def test_brn_certificate_carries_every_item_of_1458b(attended, brn):
    certificate = issue(attended(credit_type=brn, profession="rn"), Certificate.Kind.CE)
    reader, text = read(certificate)

    # Each item the BRN credit type requires, as the certificate prints it.
    printed = {
        "provider_name": "Spiritual Competency Resource Center",
        "provider_address": "2201 Broadway, Oakland, CA 94612",
        "provider_number": "Provider number CEP16887",
        "licensee_name": f"{certificate.legal_name}, RN",
        "license_number": f"License {LICENSES['rn']}",
        "course_title": COURSE,
        "credits": "BRN contact hours 8",
        "date": "Date Mon, Jun 21, 2027",
        "retention_statement": FOUR_YEARS,
        "signature": "Jane Rowan, RN, Director of Continuing Education",
    }
    assert set(printed) == set(brn.certificate_items)
    for item in brn.certificate_items:
        assert printed[item] in text, item
    assert len(reader.pages) == 1
    assert " ".join(brn.statement.split()) in text
    # The provider's signature is the one raster image on the page (the QR code and the seal
    # are vectors), as uploaded.
    [signature] = reader.pages[0].images
    assert signature.image.size == Image.open(io.BytesIO(png_image())).size


def test_the_brn_certificate_is_headed_with_the_provider_not_the_center(attended, brn):
    certificate = issue(attended(credit_type=brn, profession="rn"), Certificate.Kind.CE)
    _, text = read(certificate)

    heading = text[: text.index("Continuing Education Certificate")]
    assert "SPIRITUAL COMPETENCY RESOURCE CENTER" in heading
    assert "CEP16887" in heading and "2201 Broadway, Oakland, CA 94612" in heading
    assert "Polaris" not in heading.upper()
    assert "In co-sponsorship with Polaris Insight Center" in text


def test_a_new_credit_type_prints_its_provider_and_credits_in_the_sponsor_layout(attended, course):
    ancc = CreditTypeFactory(
        code="ancc",
        name="ANCC contact hours",
        unit="contact hours",
        provider_name="Example Nursing Provider",
        provider_number="P0123",
        statement="Example Nursing Provider is accredited to provide these contact hours.",
    )
    OfferingCredit.objects.create(
        offering=course.offering, credit_type=ancc, credits=6, fee_cents=0
    )
    certificate = issue(attended(credit_type=ancc), Certificate.Kind.CE)
    _, text = read(certificate)

    assert "ANCC contact hours" in text
    assert "ANCC contact hours 6" in text
    assert "Example Nursing Provider · Provider number P0123" in text
    assert "Example Nursing Provider is accredited to provide these contact hours." in text


LONG_NAME = "Maria Guadalupe Fernández-Castellanos de la Vega y Montoya-Abernathy " * 3
LONG_TITLE = (
    "Advanced Workshop on Focused Clinical Issues in Ketamine-Assisted Psychotherapy: "
    "Attachment, Countertransference, Group and Virtual Practice, Substance Misuse, PTSD, "
    "and the Integration of Spiritual Experiences in Treatment"
)


@pytest.mark.parametrize("kind", ["attendance", "apa", "brn"])
def test_every_kind_stays_one_letter_landscape_page_with_a_long_name_and_title(
    kind, attended, make_trainee, apa, brn, course
):
    name = LONG_NAME[:200].strip()
    title = LONG_TITLE[:200]
    course.offering.title = title
    course.offering.save()
    profession = {"attendance": "md", "apa": "lmft", "brn": "rn"}[kind]
    enrolment = attended(
        trainee=make_trainee(legal_name=name, profession=profession),
        credit_type={"attendance": None, "apa": apa, "brn": brn}[kind],
    )
    certificate = issue(
        enrolment, Certificate.Kind.ATTENDANCE if kind == "attendance" else Certificate.Kind.CE
    )
    reader, text = read(certificate)

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (792, 612)
    assert " ".join(title.split()) in text
    assert name.split()[0] in text and certificate.code in text
    assert verification_url(certificate) in text


def test_the_name_carries_the_credentials_the_trainee_gave(attended, make_trainee, apa):
    trainee = make_trainee(legal_name="Dana Cho")
    TraineeProfile.objects.filter(user=trainee).update(credentials="PsyD")
    certificate = issue(attended(trainee=trainee, credit_type=apa), Certificate.Kind.CE)
    _, text = read(certificate)

    assert certificate.credentials == "PsyD"
    assert "Dana Cho, PsyD" in text


def test_an_in_person_course_says_so(attended, course):
    course.offering.delivery = "in_person"
    course.offering.save()
    certificate = issue(attended(), Certificate.Kind.ATTENDANCE)
    _, text = read(certificate)

    assert "Format In person" in text


def test_without_a_logo_the_center_is_set_as_a_text_mark_and_with_one_its_logo_is_printed(
    attended,
):
    site = SiteSettings.objects.get()
    certificate = issue(attended(), Certificate.Kind.ATTENDANCE)
    reader, text = read(certificate)

    assert text.startswith("POLARIS INSIGHT CENTER Certificate of Attendance")
    assert len(reader.pages[0].images) == 0

    logo = Image.new("RGB", (600, 180), "#14325c")
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    site.logo.save("logo.png", ContentFile(buffer.getvalue()))
    reader, text = read(certificate)

    [printed] = reader.pages[0].images
    assert printed.image.size == (600, 180)
    assert text.startswith("Certificate of Attendance")
    assert "Polaris Insight Center certifies the attendance" in text


def test_certificates_of_attendance_carry_the_centers_signatory_and_signature(attended):
    site = SiteSettings.objects.get()
    site.certificate_signatory = "Jana Adamova, MA, Training Coordinator"
    site.certificate_signature.save("signature.png", ContentFile(png_image()))
    certificate = issue(attended(), Certificate.Kind.ATTENDANCE)
    reader, text = read(certificate)

    assert "Jana Adamova, MA, Training Coordinator Polaris Insight Center" in text
    [signature] = reader.pages[0].images
    assert signature.image.size == Image.open(io.BytesIO(png_image())).size


def test_an_apa_certificate_carries_the_credit_types_signatory(attended, apa):
    apa.signatory = "Harvey Schwartz, PhD, CE Director"
    apa.signature.save("signature.png", ContentFile(png_image()))
    certificate = issue(attended(credit_type=apa), Certificate.Kind.CE)
    reader, text = read(certificate)

    assert "Harvey Schwartz, PhD, CE Director Polaris Insight Center" in text
    assert len(reader.pages[0].images) == 1


def test_the_qr_code_links_to_the_public_verification_page(attended, settings):
    settings.SITE_URL = "https://trainings.polarisinsight.example"
    certificate = issue(attended(), Certificate.Kind.ATTENDANCE)
    url = f"https://trainings.polarisinsight.example/verify/{certificate.code}/"

    assert verification_url(certificate) == url
    assert f'src="{qr_data_uri(url)}"' in certificate_html(certificate)


def test_rendering_loads_only_our_fonts_and_embedded_images(attended, brn, monkeypatch):
    fetched = []
    fetch = polaris_pdf.StaticFilesFetcher.fetch

    def recording(self, url, headers=None):
        fetched.append(url)
        return fetch(self, url, headers)

    monkeypatch.setattr(polaris_pdf.StaticFilesFetcher, "fetch", recording)
    # A fresh thread's caches: the fonts are fetched on the first render only.
    monkeypatch.setattr(polaris_pdf, "_per_thread", threading.local())
    certificate = issue(attended(credit_type=brn, profession="rn"), Certificate.Kind.CE)
    certificate_pdf(certificate)

    assert fetched
    assert {url.split(":", 1)[0] for url in fetched} <= {"file", "data"}
    files = [url for url in fetched if url.startswith("file:")]
    assert files and all(url.endswith(".ttf") for url in files)


class CountingHandler(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    CountingHandler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", CountingHandler.requests
    server.shutdown()
    server.server_close()


def test_a_template_with_external_urls_renders_without_fetching_them(web_server):
    base, requests = web_server
    html = (
        "<html><head>"
        f'<link rel="stylesheet" href="{base}/style.css">'
        f"<style>@import url('{base}/import.css');"
        f"@font-face {{ font-family: X; src: url('{base}/font.ttf'); }}</style>"
        "</head><body>"
        f'<img src="{base}/logo.png"><p style="background: url({base}/bg.png)">Hello</p>'
        "</body></html>"
    )
    pdf = render_pdf(html, base_url=static_base_url())

    assert pdf.startswith(b"%PDF-")
    assert requests == []


def test_credit_type_statement_is_printed_as_configured_not_as_code(attended, apa):
    """The statement is data: what staff set is what the certificate says."""
    apa.statement = "Polaris Insight Center maintains responsibility for this program."
    apa.save()
    certificate = issue(attended(credit_type=CreditType.objects.get(code="apa")), "ce")
    _, text = read(certificate)

    assert "Polaris Insight Center maintains responsibility for this program." in text
    assert APA_STATEMENT not in text
