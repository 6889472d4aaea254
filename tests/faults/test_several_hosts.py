"""The site on several machines that share nothing but PostgreSQL and Redis: two gunicorn web
hosts and a Celery worker, each in a working directory of its own with its own empty
MEDIA_ROOT and var/. A trainee registers on web A and pays (Stripe's webhook reaching web
B), the coordinator signs in on web B and uploads the BRN co-sponsor's signature there, then
issues the certificates on web A; the worker renders and emails them, and the trainee
downloads the BRN certificate from web B: it carries the signature uploaded on the other
host, and the verification page answers on both. No host wrote a file of its own."""

import email
import email.policy
import io
import os
import re
import secrets
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import global_settings, settings
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from catalog.models import CreditType, Session
from certificates.models import Certificate
from registration.models import CartItem, Enrolment, Order
from registration.roles import COORDINATOR
from tests.admin_forms import form_fields
from tests.evaluations import submit_evaluation
from tests.factories import PASSWORD, StaffFactory, TraineeFactory, totp_code
from tests.pdfs import pdf_text, png_image
from tests.processes import (
    celery_worker_command,
    database_url,
    free_port,
    gunicorn_command,
    gunicorn_serving,
    process_group_stop,
    start_logged,
    wait_for,
)
from tests.registration.flows import text

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]

START_SECONDS = 40
CLIENT_SECONDS = 40
DELIVERY_SECONDS = 90


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def body(self) -> str:
        return self.content.decode(errors="replace")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser: its cookies go to every host, as behind one load balancer (the
    cookie jar tells hosts apart by name, not port); each request names the host it reaches."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(CookieJar()),
            _NoRedirects(),
        )

    def request(self, url: str, data=None, headers=None) -> Answer:
        body = urlencode(data, doseq=True).encode() if isinstance(data, dict) else data
        request = urllib.request.Request(
            url, data=body, headers={"Referer": url, **(headers or {})}
        )
        try:
            with self.opener.open(request, timeout=CLIENT_SECONDS) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def get(self, url: str) -> Answer:
        return self.request(url)

    def csrf(self, url: str) -> str:
        page = self.get(url)
        assert page.status == 200, f"{url}: {page.status}\n{text(page.body)[:2000]}"
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)[1]

    def post(self, url: str, data: dict, *, form_page: str | None = None) -> Answer:
        token = self.csrf(form_page or url)
        return self.request(url, {"csrfmiddlewaretoken": token, **data})


def multipart(fields: list[tuple[str, str]], files: dict[str, tuple[str, bytes, str]]):
    """A multipart/form-data body, as a browser sends a form with a file; (body, headers)."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, content, content_type) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Host:
    """A machine of the site: a process started in a directory of its own, where its
    MEDIA_ROOT and var/ are, with nothing shared but the environment's services."""

    def __init__(self, name: str, root: Path, command: list[str], env: dict[str, str]):
        self.name = name
        self.directory = root / name
        self.media = self.directory / "media"
        self.var = self.directory / "var"
        for directory in (self.media, self.var):
            directory.mkdir(parents=True)
        self.log = self.directory / "output.log"
        self.process, self.output_watch = start_logged(
            command,
            log=self.log,
            cwd=self.directory,
            env={
                **env,
                # The code is the same release on every machine; nothing else is shared.
                "PYTHONPATH": str(settings.BASE_DIR),
                "MEDIA_ROOT": str(self.media),
                "VAR_DIR": str(self.var),
            },
        )

    def files_written(self) -> list[str]:
        return [str(p.relative_to(self.media)) for p in self.media.rglob("*") if p.is_file()]

    def stop(self) -> None:
        process_group_stop(self.process)

    def output(self) -> str:
        return f"--- {self.name}\n" + self.log.read_text(errors="replace")[-4000:]


class WebHost(Host):
    def __init__(self, name: str, root: Path, env: dict[str, str]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(
            name,
            root,
            gunicorn_command(self.port),
            env,
        )
        if not gunicorn_serving(self.output_watch, self.base, timeout=START_SECONDS):
            self.stop()
            pytest.fail(f"gunicorn did not start:\n{self.output()}")


class WorkerHost(Host):
    def __init__(self, name: str, root: Path, env: dict[str, str]):
        super().__init__(
            name,
            root,
            celery_worker_command(hostname=f"{name}@localhost"),
            env,
        )


@pytest.fixture
def hosts(postgres, private_redis, fake_stripe, smtp_server, tmp_path):
    """Web A, web B and a worker, configured alike (one SECRET_KEY, one database, one Redis)
    as a center's machines are."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "polaris.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://trainings.polarisinsight.example",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "60",
        "REDIS_URL": private_redis.url,
        "CACHE_KEY_PREFIX": f"test-hosts-{uuid.uuid4().hex[:8]}",
        "EMAIL_URL": f"smtp://{smtp_server.host}:{smtp_server.port}",
        "STRIPE_SECRET_KEY": fake_stripe.api_key,
        "STRIPE_WEBHOOK_SECRET": fake_stripe.webhook_secret,
        "STRIPE_API_BASE": fake_stripe.url,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("STORAGE_URL", None)
    started: list[Host] = []
    try:
        for name in ("web-a", "web-b"):
            started.append(WebHost(name, tmp_path, env))
        started.append(WorkerHost("worker", tmp_path, env))
        yield started
    finally:
        for host in started:
            host.stop()


def sign_in(browser: Browser, host: WebHost, user, *, second_factor: bool = False) -> None:
    """Through allauth's pages, with the password and, for staff, the authenticator's code."""
    answer = browser.post(
        host.base + "/accounts/login/", {"login": user.email, "password": PASSWORD}
    )
    assert answer.status == 302, text(answer.body)[:2000]
    if second_factor:
        url = host.base + "/accounts/2fa/authenticate/"
        answer = browser.post(url, {"code": totp_code(user)})
        assert answer.status == 302, text(answer.body)[:2000]


def test_a_trainee_served_by_two_web_hosts_and_a_worker_gets_the_signed_certificate(
    hosts, fake_stripe, smtp_server, settings
):
    web_a, web_b, _worker = hosts
    # Hashed as the hosts hash passwords (the test settings use a faster hasher).
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    nurse = TraineeFactory(
        email="rosa@example.com",
        first_name="Rosa",
        last_name="Delgado",
        verified_email=True,
        legal_name="Rosa Delgado-Whitfield",
        credentials="RN",
        profession="rn",
        license_number="RN 771234",
    )
    coordinator = StaffFactory(email="jana@example.com", roles=[COORDINATOR])
    # A Module 1 session a month ahead of the hosts' own clock, open for registration.
    session = Session.objects.get(offering__slug="module-1", starts_at__month=6)
    ahead = timezone.now() + timedelta(days=30)
    Session.objects.filter(pk=session.pk).update(
        starts_at=ahead,
        ends_at=ahead + timedelta(hours=8),
        registration_opens_at=None,
        registration_closes_at=None,
    )
    brn = CreditType.objects.get(code="brn")
    brn.provider_address = "2201 Broadway, Oakland, CA 94612"
    brn.signatory = "Jane Rowan, RN, Director of Continuing Education"
    brn.save()
    assert not brn.signature

    # Web A: the nurse signs in, puts Module 1 with BRN CE in her cart and pays by card.
    trainee = Browser()
    sign_in(trainee, web_a, nurse)
    added = trainee.post(
        web_a.base + "/cart/add/", {"session": session.pk}, form_page=web_a.base + "/cart/"
    )
    assert added.status == 302, text(added.body)[:2000]
    item = CartItem.objects.get(trainee=nurse, session=session)
    chosen = trainee.post(
        f"{web_a.base}/cart/items/{item.pk}/ce/",
        {f"item{item.pk}-credit_type": "brn"},
        form_page=web_a.base + "/cart/",
    )
    assert chosen.status == 302, text(chosen.body)[:2000]
    placed = trainee.post(
        web_a.base + "/cart/checkout/",
        {"payment_method": "stripe"},
        form_page=web_a.base + "/cart/",
    )
    assert placed.status in (302, 303), text(placed.body)[:2000]
    order = Order.objects.get(trainee=nurse)
    # Stripe's webhook, after she paid on Stripe's page, reaches web B.
    event = fake_stripe.event(
        "checkout.session.completed", fake_stripe.complete(order.stripe_checkout_session_id)
    )
    payload, signature = fake_stripe.signed(event)
    delivered = Browser().request(
        web_b.base + "/stripe/webhook/",
        payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    assert delivered.status == 200, web_b.output()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    mine = trainee.get(web_b.base + order.get_absolute_url())  # her session, on the other host
    assert mine.status == 200 and "Paid" in text(mine.body)

    # The day of the session comes and goes: she attends it in full and evaluates it.
    ended = timezone.now() - timedelta(days=2)
    Session.objects.filter(pk=session.pk).update(
        starts_at=ended - timedelta(hours=8), ends_at=ended
    )
    enrolment = Enrolment.objects.get(trainee=nurse, session=session)
    assert enrolment.credit_type == brn
    Enrolment.objects.filter(pk=enrolment.pk).update(attendance=Enrolment.Attendance.ATTENDED)
    submit_evaluation(enrolment, at=timezone.now())

    # Web B: the coordinator signs in with two factors and uploads the co-sponsor's signature.
    staff = Browser()
    sign_in(staff, web_b, coordinator, second_factor=True)
    change = f"{web_b.base}/admin/catalog/credittype/{brn.pk}/change/"
    page = staff.get(change)
    assert page.status == 200, text(page.body)[:2000]
    body, headers = multipart(
        [*form_fields(page.body, "credittype_form"), ("_save", "Save")],
        {"signature": ("scrc-signature.png", png_image(), "image/png")},
    )
    saved = staff.request(change, body, headers)
    assert saved.status == 302, text(saved.body)[:3000]
    brn.refresh_from_db()
    assert brn.signature

    # Web A, same browser: its session is good on every host. Issue the roster's certificates.
    roster = f"{web_a.base}/admin/registration/rosterentry/?session__id__exact={session.pk}"
    issued = staff.post(
        roster,
        {"action": "issue_certificates", "index": "0", "_selected_action": [enrolment.pk]},
    )
    assert issued.status in (200, 302), text(issued.body)[:3000]
    certificates = Certificate.objects.filter(enrolment=enrolment)
    assert sorted(certificates.values_list("kind", flat=True)) == ["attendance", "ce"]

    # The worker renders and emails both.
    wait_for(
        lambda: not certificates.exclude(delivery=Certificate.Delivery.EMAILED).exists(),
        "the worker to email both certificates",
        hosts,
        timeout=DELIVERY_SECONDS,
    )
    emailed = {}
    for raw in smtp_server.messages:  # the order's confirmation, and the two certificates
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["To"] == nurse.email
        for attachment in message.iter_attachments():
            if attachment.get_content_type() == "application/pdf":
                emailed[message["Subject"]] = attachment.get_content()
    assert len(emailed) == 2, list(emailed)
    brn_pdf = next(pdf for subject, pdf in emailed.items() if "California BRN CE" in subject)

    # Web B: she downloads the BRN certificate; it is the one emailed, with the signature.
    certificate = certificates.get(kind="ce")
    download = trainee.get(f"{web_b.base}/certificates/{certificate.code}/pdf/")
    assert download.status == 200, text(download.body)[:2000]
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.content == brn_pdf
    reader = PdfReader(io.BytesIO(download.content))
    images = [image.image for page in reader.pages for image in page.images]
    uploaded = Image.open(io.BytesIO(png_image()))
    assert uploaded.size in [image.size for image in images]
    words = pdf_text(download.content)
    assert "Rosa Delgado-Whitfield" in words and "RN 771234" in words
    assert "Jane Rowan" in words and "CEP16887" in words

    # The verification page answers on both hosts, for anyone.
    for host in (web_a, web_b):
        verified = Browser().get(f"{host.base}/verify/{certificate.code}/")
        assert verified.status == 200
        assert "Rosa Delgado-Whitfield" in unescape(text(verified.body))
        assert "Valid" in text(verified.body)

    # Nothing was written to any host's own disk.
    assert {host.name: host.files_written() for host in hosts} == {
        "web-a": [],
        "web-b": [],
        "worker": [],
    }
