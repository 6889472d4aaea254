"""Redis (cache and Celery broker) hung by SIGSTOP, so that it accepts connections and never
answers, under the site as production runs it: gunicorn, DEBUG off, PostgreSQL. The catalog
pages answer from the database within 2 seconds; the contact and interest forms and a Stripe
webhook succeed within 3 (a cache call and a publish, each giving up within a second), their
emails left in the outbox for the sweep; and a visitor who sends the same form again gets the
same thanks with nothing stored twice. A coordinator issuing a whole roster's certificates
gets the progress page as promptly: one publish waits on Redis, not one per certificate."""

import os
import re
import secrets
import signal
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from html import unescape
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings

from catalog.models import Session
from certificates.models import Certificate
from polaris.celery import app as celery_app
from registration.models import (
    Enrolment,
    Inquiry,
    InquiryTopic,
    InterestSignup,
    Order,
    OutboundEmail,
)
from tests.processes import (
    database_url,
    free_port,
    gunicorn_command,
    gunicorn_serving,
    process_group_stop,
    start_logged,
)
from tests.registration.flows import register, session_of, text
from tests.roster import enrol, run_action, trainee

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]

PAGE_SECONDS = 2.0
POST_SECONDS = 3.0
START_SECONDS = 30
# Longer than gunicorn's own worker timeout (30 s), so a hung request shows as what it is.
CLIENT_SECONDS = 40


@dataclass
class Answer:
    status: int
    body: str
    seconds: float


class Browser:
    """A visitor's browser against the gunicorn site: cookies kept, each request timed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(CookieJar())
        )

    def request(self, path: str, data: dict | bytes | None = None, headers=None) -> Answer:
        body = urlencode(data).encode() if isinstance(data, dict) else data
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path, **(headers or {})}
        )
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=CLIENT_SECONDS) as response:
                status, content = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        return Answer(status, content.decode(errors="replace"), time.monotonic() - started)

    def form(self, path: str) -> dict[str, str]:
        """The hidden fields of the form on the page (CSRF token, submission token)."""
        page = self.request(path)
        assert page.status == 200, page.body[-2000:]
        return {
            unescape(name): unescape(value)
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.body
            )
        }


class Site:
    """`gunicorn polaris.wsgi` with production settings, on this test's database and Redis."""

    def __init__(self, *, env: dict[str, str], log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process, output = start_logged(
            gunicorn_command(self.port), log=log, cwd=settings.BASE_DIR, env=env
        )
        if not gunicorn_serving(output, self.base, timeout=START_SECONDS):
            self.stop()
            pytest.fail(f"gunicorn did not start:\n{self.output()}")

    def stop(self) -> None:
        process_group_stop(self.process)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def site(postgres, private_redis, fake_stripe, tmp_path):
    started = Site(
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "polaris.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url(),
            "CONN_MAX_AGE": "60",
            "REDIS_URL": private_redis.url,
            "CACHE_KEY_PREFIX": f"test-site-{uuid.uuid4().hex[:8]}",
            "STRIPE_SECRET_KEY": fake_stripe.api_key,
            "STRIPE_WEBHOOK_SECRET": fake_stripe.webhook_secret,
            "STRIPE_API_BASE": fake_stripe.url,
            "STRIPE_MAX_NETWORK_RETRIES": "0",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PYTHONUNBUFFERED": "1",
        },
        log=tmp_path / "gunicorn.log",
    )
    yield started
    started.stop()


@pytest.fixture
def hung(private_redis):
    """Stops the Redis server's process (SIGSTOP) as a hung host would; SIGCONT afterwards,
    and this process's Celery producer waits on Redis again at once."""

    def stop() -> None:
        os.kill(private_redis.process.pid, signal.SIGSTOP)

    yield stop
    os.kill(private_redis.process.pid, signal.SIGCONT)
    celery_app.amqp.unanswered_until = 0.0


def answered_in_time(answer: Answer, site: Site, *, bound: float = PAGE_SECONDS) -> None:
    assert answer.status == 200, f"{answer.status} after {answer.seconds:.1f} s\n{site.output()}"
    assert answer.seconds < bound, f"answered in {answer.seconds:.1f} s"


def test_with_redis_hung_pages_forms_and_webhooks_answer_and_a_resent_form_stores_nothing_twice(
    site,
    hung,
    client,
    make_trainee,
    fake_stripe,
    before_season,
    django_capture_on_commit_callbacks,
):
    # A card order paid on Stripe's page, its webhook not received yet.
    client.force_login(make_trainee())
    order = register(client, django_capture_on_commit_callbacks, session_of("module-1", 6))
    completed = fake_stripe.complete(order.stripe_checkout_session_id)
    event = fake_stripe.event("checkout.session.completed", completed)
    payload, signature = fake_stripe.signed(
        event, timestamp=int(time_machine.escape_hatch.time.time())
    )

    visitor = Browser(site.base)
    for path in ("/", "/trainings/module-1/"):  # cached while Redis answers
        assert visitor.request(path).status == 200
    contact_path = f"/contact/{InquiryTopic.CERTIFICATE.value}/"
    interest_path = "/trainings/residential-level-1/interest/"
    contact = visitor.form(contact_path)
    interest = visitor.form(interest_path)

    hung()

    home = visitor.request("/")
    answered_in_time(home, site)
    assert "Ketamine-Assisted Psychotherapy" in text(home.body)
    offering = visitor.request("/trainings/module-1/")
    answered_in_time(offering, site)
    assert "Learning objectives" in text(offering.body)

    message = {
        **contact,
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "message": "When will my certificate arrive?",
        "website": "",
    }
    sent = visitor.request(contact_path, message)
    answered_in_time(sent, site, bound=POST_SECONDS)
    assert "Thank you for your message" in text(sent.body)
    resent = visitor.request(contact_path, message)  # the visitor's browser retries
    answered_in_time(resent, site, bound=POST_SECONDS)
    assert "Thank you for your message" in text(resent.body)
    inquiry = Inquiry.objects.get()
    assert inquiry.message == "When will my certificate arrive?"
    emails = OutboundEmail.objects.filter(inquiry=inquiry)
    assert sorted(emails.values_list("kind", flat=True)) == ["inquiry_ack", "inquiry_received"]
    assert not emails.filter(sent_at__isnull=False).exists()  # left to the outbox sweep

    signup = {**interest, "name": "Ada Lovelace", "email": "ada@example.com", "website": ""}
    joined = visitor.request(interest_path, signup)
    answered_in_time(joined, site, bound=POST_SECONDS)
    assert "Check your email" in text(joined.body)
    rejoined = visitor.request(interest_path, signup)
    answered_in_time(rejoined, site, bound=POST_SECONDS)
    assert "Check your email" in text(rejoined.body)
    on_list = InterestSignup.objects.get(email="ada@example.com")
    assert OutboundEmail.objects.filter(interest_signup=on_list).count() == 1

    delivered = visitor.request(
        "/stripe/webhook/",
        payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    answered_in_time(delivered, site, bound=POST_SECONDS)
    assert delivered.body == "handled"
    order = Order.objects.get(pk=order.pk)
    assert order.status == "paid"
    confirmation = OutboundEmail.objects.get(order=order, kind="order_confirmation")
    assert confirmation.sent_at is None


ROSTER = 40
# Issuing 40 certificates takes 3 to 5 s in the test's process on a busy machine. Had each
# certificate's publish waited its half second, it would take 20 s more.
ROSTER_SECONDS = 10.0


def test_with_redis_hung_issuing_a_rosters_certificates_answers_in_time(
    app_on_private_redis,
    hung,
    after_session,
    admin_client,
    media_in_tmp,
):
    session = Session.objects.get(offering__slug="module-1", starts_at__month=6)
    attended = [
        enrol(session, trainee(f"Trainee {n}"), attendance=Enrolment.Attendance.ATTENDED)
        for n in range(ROSTER)
    ]
    hung()

    started = time.monotonic()
    response = run_action(admin_client, session, "issue_certificates", *attended)
    seconds = time.monotonic() - started

    assert response.status_code == 200
    assert f"{ROSTER} certificates" in text(response)
    assert seconds < ROSTER_SECONDS, f"answered in {seconds:.1f} s"
    assert Certificate.objects.filter(enrolment__in=attended).count() == ROSTER
