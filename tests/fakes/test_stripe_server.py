"""FakeStripe driven by the real stripe library, the way the app will call it."""

from __future__ import annotations

import copy
import http.client
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe

from tests.fakes.stripe_server import FakeStripe, format_amount, parse_form

SUCCESS_URL = "https://app.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://app.test/checkout/cancel"
SESSION_PARAMS: dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {
            "quantity": 1,
            "price_data": {
                "currency": "usd",
                "unit_amount": 30000,
                "product_data": {"name": "KAP Foundations"},
            },
        },
        {
            "quantity": 2,
            "price_data": {
                "currency": "usd",
                "unit_amount": 2500,
                "product_data": {"name": "Workbook"},
            },
        },
    ],
    "metadata": {"registration_id": "42", "training": "kap-foundations"},
    "client_reference_id": "registration-42",
    "customer_email": "ana@example.com",
    # stripe 16 (API 2026-10-28.endive) has no `payment_method_types` create param.
    "allowed_payment_method_types": ["card"],
    "success_url": SUCCESS_URL,
    "cancel_url": CANCEL_URL,
}


def session_params(**overrides: Any) -> dict[str, Any]:
    return {**copy.deepcopy(SESSION_PARAMS), **overrides}


def make_client(fake: FakeStripe, *, timeout: float = 5.0, retries: int = 0) -> stripe.StripeClient:
    return stripe.StripeClient(
        fake.api_key,
        base_addresses={"api": fake.url},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


@pytest.fixture(autouse=True)
def _no_stripe_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    # Telemetry would write ~/.config/stripe/telemetry_id; tests should not touch $HOME.
    monkeypatch.setattr(stripe, "enable_telemetry", False)


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture
def client(fake: FakeStripe) -> stripe.StripeClient:
    return make_client(fake)


@pytest.fixture
def paid(fake: FakeStripe, client: stripe.StripeClient) -> dict[str, Any]:
    session = client.v1.checkout.sessions.create(session_params())
    return fake.complete(session.id)


class WebhookReceiver:
    """A tiny app stand-in that verifies webhooks exactly as the real view will."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: list[stripe.Event] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    event = stripe.Webhook.construct_event(
                        payload, self.headers.get("Stripe-Signature"), receiver.secret
                    )
                except (ValueError, stripe.SignatureVerificationError):
                    status = 400
                else:
                    receiver.events.append(event)
                    status = 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------- unit helpers


def test_parse_form_builds_nested_dicts_and_lists() -> None:
    pairs = [
        ("line_items[0][price_data][unit_amount]", "100"),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][quantity]", "1"),
        ("metadata[0]", "kept as a dict key"),
        ("expand[]", "payment_intent"),
        ("expand[]", "line_items"),
        ("mode", "payment"),
    ]
    assert parse_form(pairs) == {
        "line_items": [{"price_data": {"unit_amount": "100"}, "quantity": "2"}, {"quantity": "1"}],
        "metadata": {"0": "kept as a dict key"},
        "expand": ["payment_intent", "line_items"],
        "mode": "payment",
    }


def test_format_amount() -> None:
    assert format_amount(35000, "usd") == "$350.00"
    assert format_amount(123456, "USD") == "$1,234.56"
    assert format_amount(5000, "jpy") == "5,000 JPY"


# ------------------------------------------------------------- checkout sessions


def test_create_session_totals_and_is_idempotent(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "reg-42-v1"})

    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.amount_total == 35000
    assert session.currency == "usd"
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.payment_intent is None
    assert session.url == f"{fake.url}/pay/{session.id}"
    assert session.metadata.to_dict() == {"registration_id": "42", "training": "kap-foundations"}
    assert session.client_reference_id == "registration-42"
    assert session.customer_email == "ana@example.com"
    assert session.success_url == SUCCESS_URL
    assert session.expires_at > time.time() + 23 * 3600

    method, path, params, key = fake.requests[-1]
    assert (method, path, key) == ("POST", "/v1/checkout/sessions", "reg-42-v1")
    assert params["line_items"][1] == {
        "quantity": "2",
        "price_data": {
            "currency": "usd",
            "unit_amount": "2500",
            "product_data": {"name": "Workbook"},
        },
    }

    again = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "reg-42-v1"})
    assert again.id == session.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(fake.sessions) == 1

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        client.v1.checkout.sessions.create(
            session_params(client_reference_id="other"), {"idempotency_key": "reg-42-v1"}
        )
    assert len(fake.sessions) == 1

    # Without an explicit key the library sends a fresh random one per call.
    other = client.v1.checkout.sessions.create(session_params())
    assert other.id != session.id
    assert fake.requests[-1].idempotency_key not in (None, "reg-42-v1")


def test_create_session_validates_like_stripe(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.create(session_params(mode=None))
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "mode")

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.checkout.sessions.create(session_params(idempotency_key_typo="x"))
    assert unknown.value.code == "parameter_unknown"

    with pytest.raises(stripe.InvalidRequestError, match="at least 30 minutes"):
        client.v1.checkout.sessions.create(session_params(expires_at=int(time.time()) + 60))


def test_retrieve_session_and_expand(
    fake: FakeStripe, client: stripe.StripeClient, paid: dict[str, Any]
) -> None:
    session = client.v1.checkout.sessions.retrieve(
        paid["id"], {"expand": ["payment_intent", "line_items"]}
    )
    assert session.payment_intent.object == "payment_intent"
    assert [item.quantity for item in session.line_items.data] == [1, 2]
    assert fake.requests[-1].params == {"expand": ["payment_intent", "line_items"]}

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"


def test_complete_creates_payment_intent_and_charge(
    client: stripe.StripeClient, paid: dict[str, Any]
) -> None:
    session = client.v1.checkout.sessions.retrieve(paid["id"])
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.url is None
    assert session.customer_details.email == "ana@example.com"

    intent = client.v1.payment_intents.retrieve(session.payment_intent)
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 35000, 35000)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount, charge.amount_refunded, charge.refunded) == (35000, 0, False)
    assert charge.payment_intent == intent.id


def test_complete_with_tampered_amount_and_async_payment(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    tampered = fake.complete(
        client.v1.checkout.sessions.create(session_params()).id, amount_total=1
    )
    assert tampered["amount_total"] == 1
    assert fake.payment_intents[tampered["payment_intent"]]["amount"] == 1

    pending = fake.complete(
        client.v1.checkout.sessions.create(session_params()).id, async_payment=True
    )
    assert (pending["status"], pending["payment_status"]) == ("complete", "unpaid")
    with pytest.raises(stripe.InvalidRequestError) as not_yet:
        client.v1.refunds.create({"payment_intent": pending["payment_intent"]})
    assert not_yet.value.code == "charge_not_refundable"
    assert fake.settle_async(pending["id"])["payment_status"] == "paid"


def test_expire(fake: FakeStripe, client: stripe.StripeClient, paid: dict[str, Any]) -> None:
    session = client.v1.checkout.sessions.create(session_params())
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)

    with pytest.raises(stripe.InvalidRequestError, match='status of "complete"'):
        client.v1.checkout.sessions.expire(paid["id"])

    assert fake.expire(client.v1.checkout.sessions.create(session_params()).id)["status"] == (
        "expired"
    )


# ----------------------------------------------------------------------- refunds


def test_refunds_within_and_above_remaining(
    fake: FakeStripe, client: stripe.StripeClient, paid: dict[str, Any]
) -> None:
    intent = paid["payment_intent"]
    partial = client.v1.refunds.create(
        {"payment_intent": intent, "amount": 10000, "reason": "requested_by_customer"},
        {"idempotency_key": "refund-1"},
    )
    assert (partial.object, partial.amount, partial.status) == ("refund", 10000, "succeeded")
    assert partial.payment_intent == intent
    replay = client.v1.refunds.create(
        {"payment_intent": intent, "amount": 10000, "reason": "requested_by_customer"},
        {"idempotency_key": "refund-1"},
    )
    assert replay.id == partial.id
    assert len(fake.refunds) == 1

    with pytest.raises(stripe.InvalidRequestError) as too_large:
        client.v1.refunds.create({"payment_intent": intent, "amount": 30000})
    assert too_large.value.code == "amount_too_large"
    assert too_large.value.param == "amount"
    assert "($300.00) is greater than unrefunded amount on charge ($250.00)" in str(too_large.value)

    dashboard = fake.refund_from_dashboard(intent, 5000)
    rest = client.v1.refunds.create({"payment_intent": intent, "metadata": {"by": "staff"}})
    assert rest.amount == 20000  # what remained after 10000 + 5000
    assert rest.metadata.to_dict() == {"by": "staff"}

    charge = client.v1.charges.retrieve(partial.charge)
    assert (charge.amount_refunded, charge.refunded) == (35000, True)
    assert [r.id for r in charge.refunds.data] == [rest.id, dashboard["id"], partial.id]

    with pytest.raises(stripe.InvalidRequestError) as already:
        client.v1.refunds.create({"payment_intent": intent, "amount": 1})
    assert already.value.code == "charge_already_refunded"


# ---------------------------------------------------------------------- webhooks


def test_signed_events_verify_with_the_real_library(fake: FakeStripe, paid: dict[str, Any]) -> None:
    event = fake.event("checkout.session.completed", paid)
    assert (event["object"], event["livemode"]) == ("event", False)
    assert event["id"].startswith("evt_")

    payload, header = fake.signed(event, timestamp=1_900_000_000)
    assert header == stripe.WebhookSignature.generate_signature_header(
        payload.decode(), fake.webhook_secret, timestamp=1_900_000_000
    )

    payload, header = fake.signed(event)
    verified = stripe.Webhook.construct_event(payload, header, fake.webhook_secret)
    assert verified.type == "checkout.session.completed"
    assert verified.data.object.id == paid["id"]

    tampered = payload.replace(b'"amount_total": 35000', b'"amount_total": 1')
    assert tampered != payload
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, header, fake.webhook_secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_wrong")
    old_payload, old_header = fake.signed(event, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(old_payload, old_header, fake.webhook_secret)


def test_deliver_posts_signed_event(fake: FakeStripe, paid: dict[str, Any]) -> None:
    with WebhookReceiver(fake.webhook_secret) as receiver:
        status, _ = fake.deliver(fake.event("checkout.session.completed", paid), receiver.url)
        assert status == 200
        assert receiver.events[0].data.object.id == paid["id"]

    with WebhookReceiver("whsec_the_app_has_another") as wrong:
        status, _ = fake.deliver(fake.event("charge.refunded", paid), wrong.url)
        assert status == 400
    assert [d.status for d in fake.deliveries] == [200, 400]


# ------------------------------------------------------------- failure injection


def test_delay_beyond_client_timeout_raises_api_connection_error(fake: FakeStripe) -> None:
    client = make_client(fake, timeout=0.3)
    session = client.v1.checkout.sessions.create(session_params())
    fake.fail_next("GET", "/v1/checkout/sessions", delay=2.0)

    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.retrieve(session.id)
    assert time.monotonic() - started < 1.5

    assert client.v1.checkout.sessions.retrieve(session.id).id == session.id


def test_lost_response_then_retry_with_same_key_creates_one_session(fake: FakeStripe) -> None:
    client = make_client(fake, timeout=0.3)
    fake.fail_next("POST", "/v1/checkout/sessions", status=None, delay=1.0)
    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "reg-7"})
    assert len(fake.sessions) == 1  # Stripe did the work; only the answer was lost

    again = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "reg-7"})
    assert again.id in fake.sessions
    assert len(fake.sessions) == 1


def test_injected_errors_map_to_stripe_exceptions(fake: FakeStripe) -> None:
    client = make_client(fake)
    fake.fail_next("POST", "/v1/checkout/sessions", status=500)
    with pytest.raises(stripe.APIError) as server_error:
        client.v1.checkout.sessions.create(session_params())
    assert server_error.value.http_status == 500

    fake.fail_next("POST", "/v1/refunds", status=429)
    with pytest.raises(stripe.RateLimitError):
        client.v1.refunds.create({"payment_intent": "pi_x"})

    retrying = make_client(fake, retries=1)
    fake.fail_next("POST", "/v1/checkout/sessions", status=500)
    session = retrying.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k"})
    assert session.amount_total == 35000
    assert [r.idempotency_key for r in fake.requests[-2:]] == ["k", "k"]


def test_wrong_api_key_is_an_authentication_error(fake: FakeStripe) -> None:
    client = stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake.url})
    with pytest.raises(stripe.AuthenticationError):
        client.v1.checkout.sessions.retrieve("cs_test_x")


def test_legacy_global_configuration_also_reaches_the_fake(
    fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe, "api_key", fake.api_key)
    monkeypatch.setattr(stripe, "api_base", fake.url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    monkeypatch.setattr(stripe, "default_http_client", stripe.RequestsClient(timeout=5))

    session = stripe.checkout.Session.create(idempotency_key="legacy-1", **session_params())
    assert session.amount_total == 35000
    assert fake.requests[-1].idempotency_key == "legacy-1"
    assert stripe.checkout.Session.retrieve(session.id).status == "open"


# --------------------------------------------------------------- hosted checkout


def test_hosted_page_is_accessible_html(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(session_params())
    with urllib.request.urlopen(session.url) as response:
        page = response.read().decode()
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"

    assert '<html lang="en">' in page
    assert "<title>Pay Polaris Insight Center: $350.00</title>" in page
    assert "<h1>Pay Polaris Insight Center</h1>" in page
    assert '<label for="email">Email</label>' in page
    assert 'id="email" name="email" type="email"' in page
    assert 'value="ana@example.com"' in page
    assert '<button type="submit">Pay $350.00</button>' in page
    assert f'<a href="{CANCEL_URL}">Cancel</a>' in page


def test_paying_redirects_to_success_url_and_delivers_webhook(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(session_params())
    with WebhookReceiver(fake.webhook_secret) as receiver:
        fake.webhook_url = receiver.url
        parts = urlsplit(session.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        connection.request(
            "POST",
            parts.path,
            body="email=paid%40example.com",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        connection.close()

    assert response.status == 303
    assert response.getheader("Location") == (
        f"https://app.test/checkout/success?session_id={session.id}"
    )
    assert fake.deliveries[-1].status == 200
    (event,) = receiver.events
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"
    assert event.data.object.customer_details.email == "paid@example.com"

    retrieved = client.v1.checkout.sessions.retrieve(session.id)
    assert retrieved.status == "complete"
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{fake.url}/pay/{session.id}")
    assert gone.value.code == 410


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_held_webhooks_arrive_after_the_redirect(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(session_params())
    fake.hold_webhooks = True
    with WebhookReceiver(fake.webhook_secret) as receiver:
        fake.webhook_url = receiver.url
        request = urllib.request.Request(f"{fake.url}/pay/{session.id}", data=b"", method="POST")
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(request)
        assert redirect.value.code == 303
        assert receiver.events == []

        (delivery,) = fake.release_webhooks()
        assert delivery.status == 200
        assert receiver.events[0].data.object.id == session.id
