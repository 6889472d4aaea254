"""Fixtures for certificates: trainees with licenses, attended enrolments of ended sessions,
submitted evaluations, the seed's credit types (BRN with its signature image), and PDF text."""

import asyncio
import io
import re
import socket
import threading
from datetime import datetime
from decimal import Decimal

import pytest
import segno
from django.core.files.base import ContentFile
from pypdf import PdfReader

from catalog.formatting import PACIFIC
from catalog.models import CreditType, OfferingCredit
from registration.models import Enrolment, TraineeProfile
from tests.factories import EnrolmentFactory, OfferingFactory, SessionFactory, UserFactory

# After the first 2027 session (Mon, Jun 21, 2027, 9 AM – 5 PM PT) has ended.
AFTER = datetime(2027, 7, 1, 12, 0, tzinfo=PACIFIC)
JUNE_21 = datetime(2027, 6, 21, 9, 0, tzinfo=PACIFIC)

LICENSES = {
    "psychologist": "PSY 27183",
    "lmft": "LMFT 104233",
    "lcsw": "LCSW 88120",
    "rn": "RN 95512344",
    "md": "A 155201",
    "other": "",
}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Rendered PDFs and signature images go to a directory of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def make_trainee(db):
    def make(*, profession="psychologist", legal_name=None, state="CA", complete=True, **fields):
        user = UserFactory(**fields)
        TraineeProfile.objects.create(
            user=user,
            legal_name=legal_name or f"{user.first_name} {user.last_name}",
            profession=profession,
            license_number=LICENSES.get(profession, "X 1") if complete else "",
            license_state=state if complete and profession != "other" else "",
        )
        return user

    return make


def png_image() -> bytes:
    """A small PNG (segno draws it; no image library needed)."""
    buffer = io.BytesIO()
    segno.make("signature", micro=False).save(buffer, kind="png", scale=3)
    return buffer.getvalue()


@pytest.fixture
def apa(db):
    return CreditType.objects.get(code="apa")


@pytest.fixture
def brn(db):
    """The seed's BRN credit type, with the co-sponsor's signature configured by staff."""
    brn = CreditType.objects.get(code="brn")
    brn.provider_address = "2201 Broadway, Oakland, CA 94612"
    brn.signatory = "Jane Rowan, RN, Director of Continuing Education"
    brn.signature.save("scrc-signature.png", ContentFile(png_image()), save=False)
    brn.save()
    return brn


@pytest.fixture
def course(db):
    """A one-day course on Mon, Jun 21, 2027 carrying 8 APA credits and 8 BRN contact hours."""
    offering = OfferingFactory(
        kind="module", number=None, title="Foundations of Ketamine-Assisted Psychotherapy"
    )
    for code in ("apa", "brn"):
        OfferingCredit.objects.create(
            offering=offering,
            credit_type=CreditType.objects.get(code=code),
            credits=Decimal("8"),
            fee_cents=7900,
        )
    return SessionFactory(offering=offering, starts_at=JUNE_21)


@pytest.fixture
def attended(course, make_trainee):
    """An attended, confirmed enrolment in the course, with the CE credit type given."""

    def make(*, trainee=None, credit_type=None, profession="psychologist", **fields):
        trainee = trainee or make_trainee(profession=profession)
        fields = {
            "session": course,
            "status": Enrolment.Status.CONFIRMED,
            "attendance": Enrolment.Attendance.ATTENDED,
            **fields,
        }
        return EnrolmentFactory(trainee=trainee, credit_type=credit_type, **fields)

    return make


def submit_evaluation(enrolment: Enrolment, *, at: datetime = AFTER):
    """The trainee's course evaluation, submitted."""
    from django.apps import apps

    evaluation_model = apps.get_model("certificates", "Evaluation")
    return evaluation_model.objects.create(
        enrolment=enrolment, requested_at=at, submitted_at=at, overall_rating=5
    )


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace collapsed, as a reader would quote it."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages)).strip()


def pdf_of(certificate) -> bytes:
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as pdf:
        return pdf.read()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingHandler:
    """An aiosmtpd handler keeping every message accepted. With `hold` set, the first
    session waits at MAIL FROM until `release` is set, and that session delivers nothing."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.connections: list[tuple] = []  # the client's address of each message's session
        self.hold = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self._held_sessions: set[int] = set()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.hold and not self.holding.is_set():
            self.holding.set()
            self._held_sessions.add(id(session))
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if id(session) in self._held_sessions:
            return "451 Try again later"
        self.messages.append(envelope.original_content or envelope.content)
        self.connections.append(session.peer)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port (aiosmtpd)."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.host, handler.port = controller.hostname, controller.port
    handler.controller = controller
    yield handler
    handler.release.set()
    if controller._thread is not None:
        controller.stop()


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
