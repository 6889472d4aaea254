"""A local HTTP fake of the parts of the Stripe API this app uses.

Tests fake Stripe only at the HTTP level: ``FakeStripe`` runs a real HTTP server on
127.0.0.1, the real ``stripe`` library is pointed at it, and webhooks are signed with
Stripe's real scheme so the app verifies them with ``stripe.Webhook.construct_event``::

    with FakeStripe() as fake:
        client = stripe.StripeClient(
            fake.api_key,
            base_addresses={"api": fake.url},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=5),
        )
        session = client.v1.checkout.sessions.create({...}, {"idempotency_key": "k1"})
        fake.complete(session.id)
        payload, header = fake.signed(fake.event("checkout.session.completed", ...))

Endpoints served (form-encoded bodies with nested ``a[b][0][c]=`` keys, JSON answers,
Stripe-shaped ``{"error": {...}}`` bodies with 4xx/5xx statuses):

* ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}``,
  ``POST /v1/checkout/sessions/{id}/expire``
* ``POST /v1/refunds``, ``GET /v1/refunds/{id}``
* ``GET /v1/payment_intents/{id}``, ``GET /v1/charges/{id}``, ``GET /v1/events/{id}``
* ``GET|POST /pay/{id}``: a minimal hosted checkout page for browser tests.

POST requests honour ``Idempotency-Key`` like Stripe: a replay returns the saved
response (with ``Idempotent-Replayed: true``); the same key with other parameters or
another endpoint is a 400 ``idempotency_error``. Only successful responses are saved.
``expand[]`` is supported for ``payment_intent``, ``latest_charge``, ``charge`` and a
session's ``line_items``. Unknown top-level parameters on the create endpoints are
rejected (checked against the installed stripe library's params types), as Stripe does.

Not modelled: prices/products by id, customers, subscriptions, list endpoints,
pagination, automatic webhook retries, and Stripe's rate limits (inject them with
``fail_next``).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe.params import RefundCreateParams
from stripe.params.checkout import SessionCreateParams

JSON = dict[str, Any]

API_KEY = "sk_test_fake"
WEBHOOK_SECRET = "whsec_fake_0123456789abcdef0123456789abcdef"

# Options the stripe library lifts out of params; they never reach the wire as params.
_REQUEST_OPTION_KEYS = frozenset(
    {
        "api_key",
        "stripe_version",
        "stripe_account",
        "stripe_context",
        "max_network_retries",
        "idempotency_key",
        "content_type",
        "headers",
    }
)
_SESSION_CREATE_PARAMS = frozenset(SessionCreateParams.__annotations__) - _REQUEST_OPTION_KEYS
_REFUND_CREATE_PARAMS = frozenset(RefundCreateParams.__annotations__) - _REQUEST_OPTION_KEYS
_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")

_ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
_CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}
_BASE62 = string.ascii_letters + string.digits
# Webhooks go straight to the (local) receiver, whatever *_proxy variables say.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class RecordedRequest(NamedTuple):
    """One API request the fake received (``/v1/...`` only, not the hosted page)."""

    method: str
    path: str
    params: JSON
    idempotency_key: str | None


class Delivery(NamedTuple):
    """One webhook POST made by the fake, with the receiver's answer."""

    url: str
    event: JSON
    status: int | None  # None when the receiver could not be reached
    body: bytes
    error: str | None


class FakeStripeError(Exception):
    """A Stripe API error; rendered as ``{"error": {...}}`` with ``status``.

    Test-control methods raise it too, when asked for something Stripe would refuse.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> JSON:
        error: JSON = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


@dataclass
class _Failure:
    method: str
    path_prefix: str
    status: int | None
    delay: float
    remaining: int
    error: JSON | None


@dataclass
class _SavedResponse:
    method: str
    path: str
    fingerprint: list[tuple[str, str]]
    status: int
    payload: JSON


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


# --------------------------------------------------------------------------- helpers


def parse_form(pairs: Iterable[tuple[str, str]]) -> JSON:
    """Turn Stripe's form encoding (``a[b][0][c]=v``, ``expand[]=x``) into nested data.

    Dicts whose keys are all digits become lists (except under ``metadata``, whose keys
    are the caller's). Values stay strings, as on the wire.
    """
    root: JSON = {}
    for key, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", key)
        parts = [key] if match is None else [match[1], *re.findall(r"\[([^\[\]]*)\]", match[2])]
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1] or str(len(node))  # "expand[]=x" appends
        node[last] = value
    return _listify(root)


def _listify(value: Any, key: str | None = None) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {k: _listify(v, k) for k, v in value.items()}
    if key != "metadata" and converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def format_amount(amount: int, currency: str) -> str:
    """Format minor units the way Stripe's hosted pages do: ``35000, "usd"`` → ``$350.00``."""
    currency = currency.lower()
    value = amount if currency in _ZERO_DECIMAL_CURRENCIES else amount / 100
    number = f"{value:,.0f}" if currency in _ZERO_DECIMAL_CURRENCIES else f"{value:,.2f}"
    symbol = _CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"


def _new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_BASE62) for _ in range(length))


def _missing(param: str) -> FakeStripeError:
    return FakeStripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def _int_param(value: Any, param: str, *, minimum: int = 0) -> int:
    if value is None or value == "":
        raise _missing(param)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FakeStripeError(
            400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        ) from None
    if number < minimum:
        raise FakeStripeError(
            400,
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=param,
        )
    return number


def _metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise FakeStripeError(400, f"Invalid object for {param}.", param=param)
    if len(value) > 50:
        raise FakeStripeError(400, "Invalid metadata: at most 50 keys are allowed.", param=param)
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise FakeStripeError(400, f"Invalid string: {param}[{key}]", param=f"{param}[{key}]")
        if len(key) > 40 or len(item) > 500:
            raise FakeStripeError(
                400,
                "Invalid metadata: keys can have up to 40 characters and values up to 500.",
                param=f"{param}[{key}]",
            )
        if item != "":  # an empty value unsets the key
            result[key] = item
    return result


def _reject_unknown(params: JSON, allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise FakeStripeError(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )


def _default_failure_error(status: int) -> JSON:
    if status == 429:
        error = FakeStripeError(
            429,
            "Too many requests hit the API too quickly (FakeStripe injected failure).",
            code="rate_limit",
        )
    elif status == 409:
        error = FakeStripeError(
            409,
            "This object cannot be accessed right now because another API request or "
            "Stripe process is currently accessing it (FakeStripe injected failure).",
            code="lock_timeout",
        )
    elif status >= 500:
        error = FakeStripeError(
            status, "Sorry, something went wrong (FakeStripe injected failure).", type="api_error"
        )
    else:
        error = FakeStripeError(status, f"FakeStripe injected a {status} failure.")
    return error.body()


# ------------------------------------------------------------------------ HTTP layer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeStripe) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is expected (see fail_next); stay quiet.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection keeps shutdown simple
    server_version = "FakeStripe/1.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.fake._handle(method, self.path, dict(self.headers), body)
        if response.delay:
            self.server.fake._pause(response.delay)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); Stripe's work, if any, is already done

    def log_message(self, format: str, *args: Any) -> None:
        pass


# ------------------------------------------------------------------------- the fake


class FakeStripe:
    """A thread-safe, in-memory Stripe served over HTTP on 127.0.0.1.

    State (``sessions``, ``payment_intents``, ``charges``, ``refunds``, ``events``) holds
    Stripe-shaped dicts keyed by id; read them in assertions, but change them through
    the control methods. ``requests`` logs every ``/v1`` call as a ``RecordedRequest``.
    """

    api_key = API_KEY
    webhook_secret = WEBHOOK_SECRET

    def __init__(
        self,
        *,
        business_name: str = "Polaris Insight Center",
        api_version: str = stripe.api_version,
        webhook_url: str | None = None,
        webhook_timeout: float = 10.0,
    ) -> None:
        self.business_name = business_name
        self.api_version = api_version
        self.webhook_url = webhook_url
        self.webhook_timeout = webhook_timeout
        #: When true, ``POST /pay/{id}`` queues its event in ``held_events`` instead of
        #: delivering it, to test a success page reached before the webhook.
        self.hold_webhooks = False
        self.held_events: list[JSON] = []

        self.sessions: dict[str, JSON] = {}
        self.payment_intents: dict[str, JSON] = {}
        self.charges: dict[str, JSON] = {}
        self.refunds: dict[str, JSON] = {}
        self.events: dict[str, JSON] = {}
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []

        self._line_items: dict[str, list[JSON]] = {}
        self._payment_intent_metadata: dict[str, dict[str, str]] = {}
        self._idempotency: dict[str, _SavedResponse] = {}
        self._failures: list[_Failure] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeStripe is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStripe:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeStripe",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in an injected delay
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ test controls

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int | None = 500,
        delay: float = 0.0,
        times: int = 1,
        error: JSON | None = None,
    ) -> None:
        """Make the next ``times`` requests matching ``method`` and ``path_prefix`` fail.

        With a ``status``, the fake waits ``delay`` seconds and answers that status with
        a Stripe error body (``error`` overrides it) without doing the work. With
        ``status=None`` it does the work, then waits ``delay`` before answering: a delay
        beyond the client's timeout simulates "Stripe did it but the response was lost".
        """
        with self._lock:
            self._failures.append(
                _Failure(method.upper(), path_prefix, status, delay, times, error)
            )

    def complete(
        self,
        session_id: str,
        *,
        amount_total: int | None = None,
        async_payment: bool = False,
        email: str | None = None,
    ) -> JSON:
        """Pay an open session as the customer would; returns the session.

        Creates a PaymentIntent and a Charge for ``amount_total`` (default: the session's;
        pass another value to simulate a tampered amount). With ``async_payment`` the
        payment stays ``processing`` and the session ``unpaid`` until ``settle_async``.
        """
        with self._lock:
            session = self._get(self.sessions, session_id, "checkout.session")
            if session["status"] != "open":
                raise FakeStripeError(
                    400, f"Checkout Session {session_id} is {session['status']}, not open."
                )
            amount = session["amount_total"] if amount_total is None else amount_total
            now = int(time.time())
            pi_id, charge_id = _new_id("pi_"), _new_id("ch_")
            self.charges[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": amount,
                "amount_captured": amount,
                "amount_refunded": 0,
                "captured": True,
                "created": now,
                "currency": session["currency"],
                "livemode": False,
                "metadata": {},
                "paid": not async_payment,
                "payment_intent": pi_id,
                "refunded": False,
                "refunds": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "total_count": 0,
                    "url": f"/v1/charges/{charge_id}/refunds",
                },
                "status": "pending" if async_payment else "succeeded",
            }
            self.payment_intents[pi_id] = {
                "id": pi_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": 0 if async_payment else amount,
                "created": now,
                "currency": session["currency"],
                "latest_charge": charge_id,
                "livemode": False,
                "metadata": dict(self._payment_intent_metadata.get(session_id, {})),
                "status": "processing" if async_payment else "succeeded",
            }
            session.update(
                amount_total=amount,
                customer_details={"email": email or session["customer_email"], "name": None},
                payment_intent=pi_id,
                payment_status="unpaid" if async_payment else "paid",
                status="complete",
                url=None,
            )
            return copy.deepcopy(session)

    def settle_async(self, session_id: str, *, succeeded: bool = True) -> JSON:
        """Finish an ``async_payment`` completion (bank debit clears or fails)."""
        with self._lock:
            session = self._get(self.sessions, session_id, "checkout.session")
            intent = self.payment_intents.get(session["payment_intent"] or "")
            if intent is None or intent["status"] != "processing":
                raise FakeStripeError(400, f"{session_id} has no processing async payment.")
            charge = self.charges[intent["latest_charge"]]
            if succeeded:
                intent.update(status="succeeded", amount_received=intent["amount"])
                charge.update(status="succeeded", paid=True)
                session["payment_status"] = "paid"
            else:
                intent["status"] = "requires_payment_method"
                charge.update(status="failed", paid=False)
            return copy.deepcopy(session)

    def expire(self, session_id: str) -> JSON:
        """Expire an open session (as Stripe does at ``expires_at``); returns it."""
        with self._lock:
            return copy.deepcopy(self._expire(session_id))

    def refund_from_dashboard(self, payment_intent: str, amount: int | None = None) -> JSON:
        """Refund as if someone used the Stripe dashboard; returns the refund."""
        with self._lock:
            return copy.deepcopy(
                self._refund(payment_intent=payment_intent, amount=amount, reason=None)
            )

    def event(
        self,
        type: str,
        data_object: JSON,
        *,
        event_id: str | None = None,
        previous_attributes: JSON | None = None,
    ) -> JSON:
        """Build (and store, for ``GET /v1/events/{id}``) a Stripe event around a snapshot."""
        data: JSON = {"object": copy.deepcopy(data_object)}
        if previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(previous_attributes)
        event = {
            "id": event_id or _new_id("evt_"),
            "object": "event",
            "api_version": self.api_version,
            "created": int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }
        with self._lock:
            self.events[event["id"]] = event
        return copy.deepcopy(event)

    def signed(
        self,
        event: JSON | bytes,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, str]:
        """The exact payload bytes and ``Stripe-Signature`` header Stripe would send.

        ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>" keyed with the secret>``.
        Pass bytes to sign a payload verbatim.
        """
        payload = event if isinstance(event, bytes) else json.dumps(event, indent=2).encode()
        ts = int(time.time()) if timestamp is None else timestamp
        key = (self.webhook_secret if secret is None else secret).encode()
        digest = hmac.new(key, f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
        return payload, f"t={ts},v1={digest}"

    def deliver(self, event: JSON, url: str | None = None) -> tuple[int | None, bytes]:
        """POST a signed event to ``url`` (default ``webhook_url``); returns (status, body).

        The status is None if nothing answered. Every delivery is kept in ``deliveries``.
        """
        target = url or self.webhook_url
        if not target:
            raise ValueError("deliver() needs a url, or set webhook_url")
        delivery = self._post_event(target, event)
        return delivery.status, delivery.body

    def release_webhooks(self) -> list[Delivery]:
        """Deliver the events queued while ``hold_webhooks`` was true, oldest first."""
        with self._lock:
            events, self.held_events = self.held_events, []
        target = self.webhook_url
        if not target:
            raise ValueError("release_webhooks() needs webhook_url")
        return [self._post_event(target, event) for event in events]

    # ----------------------------------------------------------- request handling

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> _Response:
        split = urlsplit(raw_path)
        path = split.path
        lower = {name.lower(): value for name, value in headers.items()}
        pairs: list[tuple[str, str]] = []
        if not path.startswith("/pay/"):
            raw = split.query if method in ("GET", "DELETE") else body.decode("utf-8")
            pairs = parse_qsl(raw, keep_blank_values=True)
            with self._lock:  # logged even when a failure is injected below
                self.requests.append(
                    RecordedRequest(method, path, parse_form(pairs), lower.get("idempotency-key"))
                )

        failure = self._take_failure(method, path)
        if failure is not None and failure.status is not None:
            payload = failure.error or _default_failure_error(failure.status)
            self._pause(failure.delay)
            return _Response(failure.status, json.dumps(payload).encode())

        if path.startswith("/pay/"):
            response = self._handle_pay(method, path.removeprefix("/pay/"), body)
        else:
            response = self._handle_api(method, path, pairs, lower)
        response.delay = failure.delay if failure is not None else 0.0
        return response

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and path.startswith(failure.path_prefix):
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def _handle_api(
        self, method: str, path: str, pairs: list[tuple[str, str]], lower: dict[str, str]
    ) -> _Response:
        params = parse_form(pairs)
        key = lower.get("idempotency-key")
        request_id = _new_id("req_", 14)
        out_headers: list[tuple[str, str]] = [("Request-Id", request_id)]
        if key:
            out_headers.append(("Idempotency-Key", key))

        with self._lock:
            try:
                if lower.get("authorization") != f"Bearer {self.api_key}":
                    raise FakeStripeError(
                        401,
                        "Invalid API Key provided: "
                        + (lower.get("authorization", "").removeprefix("Bearer ")[:12] or "none"),
                    )
                fingerprint = sorted(pairs)
                saved = self._idempotency.get(key) if method == "POST" and key else None
                if saved is not None:
                    if (saved.method, saved.path) != (method, path):
                        raise FakeStripeError(
                            400,
                            "Keys for idempotent requests can only be used for the same "
                            f"endpoint they were first used for ('{saved.method} {saved.path}' "
                            f"vs '{method} {path}'). Try using a key other than '{key}' if "
                            "you meant to execute a different request.",
                            type="idempotency_error",
                        )
                    if saved.fingerprint != fingerprint:
                        raise FakeStripeError(
                            400,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other "
                            f"than '{key}' if you meant to execute a different request.",
                            type="idempotency_error",
                        )
                    out_headers.append(("Idempotent-Replayed", "true"))
                    status, payload = saved.status, saved.payload
                else:
                    status, payload = 200, self._route(method, path, params)
                    if method == "POST" and key:
                        self._idempotency[key] = _SavedResponse(
                            method, path, fingerprint, status, payload
                        )
            except FakeStripeError as error:
                status, payload = error.status, error.body()
                payload["error"]["request_log_url"] = (
                    f"https://dashboard.stripe.com/test/logs/{request_id}"
                )
            return _Response(status, json.dumps(payload).encode(), headers=tuple(out_headers))

    def _route(self, method: str, path: str, params: JSON) -> JSON:
        expand = params.get("expand") or []
        if isinstance(expand, str):
            expand = [expand]
        match (method, path.strip("/").split("/")):
            case ("POST", ["v1", "checkout", "sessions"]):
                obj = self._create_session(params)
            case ("GET", ["v1", "checkout", "sessions", session_id]):
                obj = self._get(self.sessions, session_id, "checkout.session")
            case ("POST", ["v1", "checkout", "sessions", session_id, "expire"]):
                obj = self._expire(session_id)
            case ("POST", ["v1", "refunds"]):
                obj = self._create_refund(params)
            case ("GET", ["v1", "refunds", refund_id]):
                obj = self._get(self.refunds, refund_id, "refund")
            case ("GET", ["v1", "payment_intents", intent_id]):
                obj = self._get(self.payment_intents, intent_id, "payment_intent")
            case ("GET", ["v1", "charges", charge_id]):
                obj = self._get(self.charges, charge_id, "charge")
            case ("GET", ["v1", "events", event_id]):
                obj = self._get(self.events, event_id, "event")
            case _:
                raise FakeStripeError(
                    404,
                    f"Unrecognized request URL ({method}: {path}). FakeStripe serves only "
                    "the endpoints listed in tests/fakes/stripe_server.py.",
                )
        return self._expand(obj, expand)

    @staticmethod
    def _get(store: dict[str, JSON], object_id: str, kind: str) -> JSON:
        try:
            return store[object_id]
        except KeyError:
            raise FakeStripeError(
                404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id"
            ) from None

    def _expand(self, obj: JSON, paths: list[str]) -> JSON:
        result = copy.deepcopy(obj)
        for path in paths:
            self._expand_path(result, path.split("."), path)
        return result

    def _expand_path(self, obj: JSON, parts: list[str], full: str) -> None:
        head, rest = parts[0], parts[1:]
        if head == "line_items" and obj.get("object") == "checkout.session" and not rest:
            obj["line_items"] = {
                "object": "list",
                "data": copy.deepcopy(self._line_items.get(obj["id"], [])),
                "has_more": False,
                "url": f"/v1/checkout/sessions/{obj['id']}/line_items",
            }
            return
        stores = {
            "payment_intent": self.payment_intents,
            "latest_charge": self.charges,
            "charge": self.charges,
        }
        if head not in stores or head not in obj:
            raise FakeStripeError(
                400, f"This property cannot be expanded ({full}).", param="expand"
            )
        value = obj[head]
        if isinstance(value, str) and value in stores[head]:
            value = obj[head] = copy.deepcopy(stores[head][value])
        if rest and isinstance(value, dict):
            self._expand_path(value, rest, full)

    # ------------------------------------------------------------- API resources

    def _create_session(self, params: JSON) -> JSON:
        _reject_unknown(params, _SESSION_CREATE_PARAMS)
        mode = params.get("mode")
        if not mode:
            raise _missing("mode")
        if mode != "payment":
            raise FakeStripeError(
                400, f"FakeStripe only models mode=payment, not {mode!r}.", param="mode"
            )
        items = params.get("line_items")
        if not items:
            raise _missing("line_items")
        if not isinstance(items, list):
            raise FakeStripeError(400, "Invalid array", param="line_items")

        now = int(time.time())
        currency: str | None = None
        total = 0
        line_items: list[JSON] = []
        for index, item in enumerate(items):
            prefix = f"line_items[{index}]"
            if not isinstance(item, dict):
                raise FakeStripeError(400, "Invalid object", param=prefix)
            if "price" in item:
                raise FakeStripeError(
                    400,
                    "FakeStripe does not model Price ids; use price_data.",
                    param=f"{prefix}[price]",
                )
            quantity = _int_param(item.get("quantity"), f"{prefix}[quantity]", minimum=1)
            price_data = item.get("price_data")
            if not isinstance(price_data, dict):
                raise _missing(f"{prefix}[price_data]")
            unit_amount = _int_param(
                price_data.get("unit_amount"), f"{prefix}[price_data][unit_amount]"
            )
            item_currency = str(price_data.get("currency") or "").lower()
            if not item_currency:
                raise _missing(f"{prefix}[price_data][currency]")
            product_data = price_data.get("product_data")
            name = product_data.get("name") if isinstance(product_data, dict) else None
            if not name:
                raise _missing(f"{prefix}[price_data][product_data][name]")
            if currency is not None and item_currency != currency:
                raise FakeStripeError(
                    400,
                    "Checkout does not support multiple currencies in one session.",
                    param=f"{prefix}[price_data][currency]",
                )
            currency = item_currency
            amount = unit_amount * quantity
            total += amount
            line_items.append(
                {
                    "id": _new_id("li_"),
                    "object": "item",
                    "amount_subtotal": amount,
                    "amount_total": amount,
                    "currency": item_currency,
                    "description": name,
                    "price": {
                        "id": _new_id("price_"),
                        "object": "price",
                        "currency": item_currency,
                        "unit_amount": unit_amount,
                    },
                    "quantity": quantity,
                }
            )

        if params.get("expires_at") in (None, ""):
            expires_at = now + 24 * 3600
        else:
            expires_at = _int_param(params["expires_at"], "expires_at")
            if expires_at < now + 30 * 60 - 5:
                raise FakeStripeError(
                    400,
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout "
                    "Session creation.",
                    param="expires_at",
                )
            if expires_at > now + 24 * 3600 + 5:
                raise FakeStripeError(
                    400,
                    "The `expires_at` timestamp must be less than 24 hours from Checkout "
                    "Session creation.",
                    param="expires_at",
                )
        client_reference_id = params.get("client_reference_id") or None
        if client_reference_id is not None and len(client_reference_id) > 200:
            raise FakeStripeError(
                400, "client_reference_id is too long (max 200).", param="client_reference_id"
            )
        intent_data = params.get("payment_intent_data")
        intent_metadata = (
            _metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
            if isinstance(intent_data, dict)
            else {}
        )

        session_id = "cs_test_a1" + "".join(secrets.choice(_BASE62) for _ in range(56))
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": client_reference_id,
            "created": now,
            "currency": currency,
            "customer": None,
            "customer_details": None,
            "customer_email": params.get("customer_email") or None,
            "expires_at": expires_at,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": _metadata(params.get("metadata")),
            "mode": mode,
            "payment_intent": None,
            "allowed_payment_method_types": params.get("allowed_payment_method_types"),
            "payment_method_types": params.get("allowed_payment_method_types") or ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "url": f"{self.url}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self._line_items[session_id] = line_items
        self._payment_intent_metadata[session_id] = intent_metadata
        return session

    def _expire(self, session_id: str) -> JSON:
        session = self._get(self.sessions, session_id, "checkout.session")
        if session["status"] != "open":
            raise FakeStripeError(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
            )
        session.update(status="expired", url=None)
        return session

    def _create_refund(self, params: JSON) -> JSON:
        _reject_unknown(params, _REFUND_CREATE_PARAMS)
        amount = params.get("amount")
        reason = params.get("reason") or None
        if reason is not None and reason not in _REFUND_REASONS:
            raise FakeStripeError(
                400,
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param="reason",
            )
        return self._refund(
            payment_intent=params.get("payment_intent") or None,
            charge=params.get("charge") or None,
            amount=None if amount in (None, "") else _int_param(amount, "amount", minimum=1),
            reason=reason,
            metadata=_metadata(params.get("metadata")),
        )

    def _refund(
        self,
        *,
        payment_intent: str | None = None,
        charge: str | None = None,
        amount: int | None,
        reason: str | None,
        metadata: dict[str, str] | None = None,
    ) -> JSON:
        if payment_intent is not None:
            intent = self.payment_intents.get(payment_intent)
            if intent is None:
                raise FakeStripeError(
                    400,
                    f"No such payment_intent: '{payment_intent}'",
                    code="resource_missing",
                    param="payment_intent",
                )
            charge = intent["latest_charge"]
        elif charge is None:
            raise FakeStripeError(
                400, "One of `charge` or `payment_intent` is required.", code="parameter_missing"
            )
        record = self.charges.get(charge or "")
        if record is None:
            raise FakeStripeError(
                400, f"No such charge: '{charge}'", code="resource_missing", param="charge"
            )
        if record["status"] != "succeeded":
            raise FakeStripeError(
                400,
                f"This PaymentIntent ({record['payment_intent']}) does not have a successful "
                "charge to refund.",
                code="charge_not_refundable",
            )
        remaining = record["amount"] - record["amount_refunded"]
        if remaining <= 0:
            raise FakeStripeError(
                400,
                f"Charge {record['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise FakeStripeError(
                400,
                f"Refund amount ({format_amount(amount, record['currency'])}) is greater than "
                f"unrefunded amount on charge ({format_amount(remaining, record['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        refund_id = _new_id("re_")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": _new_id("txn_"),
            "charge": record["id"],
            "created": int(time.time()),
            "currency": record["currency"],
            "metadata": metadata or {},
            "payment_intent": record["payment_intent"],
            "reason": reason,
            "status": "succeeded",
        }
        self.refunds[refund_id] = refund
        record["amount_refunded"] += amount
        record["refunded"] = record["amount_refunded"] >= record["amount"]
        record["refunds"]["data"].insert(0, refund)
        record["refunds"]["total_count"] += 1
        return refund

    # ---------------------------------------------------------- hosted checkout

    def _handle_pay(self, method: str, session_id: str, body: bytes) -> _Response:
        with self._lock:
            session = copy.deepcopy(self.sessions.get(session_id))
        if session is None:
            return self._page(404, "Checkout session not found", "<p>This link is not valid.</p>")
        if session["status"] != "open":
            return self._page(
                410,
                "This checkout session is no longer available",
                f"<p>This checkout session is {html.escape(session['status'])}.</p>",
            )
        if method == "GET":
            return self._checkout_page(session)
        if method != "POST":
            return self._page(405, "Method not allowed", "<p>Use GET or POST.</p>")

        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        try:
            with self._lock:
                completed = self.complete(session_id, email=form.get("email") or None)
                event = self.event("checkout.session.completed", completed)
                held = self.hold_webhooks
                if held:
                    self.held_events.append(event)
        except FakeStripeError as error:  # raced with an expiry
            return self._page(
                410,
                "This checkout session is no longer available",
                f"<p>{html.escape(error.message)}</p>",
            )
        if not held and self.webhook_url:
            self._post_event(self.webhook_url, event)  # outside the lock: the app may call us
        success_url = completed["success_url"]
        if not success_url:
            return self._page(200, "Payment complete", "<p>Thank you, your payment succeeded.</p>")
        location = success_url.replace("{CHECKOUT_SESSION_ID}", session_id)
        return _Response(303, b"", "text/plain", headers=(("Location", location),))

    def _checkout_page(self, session: JSON) -> _Response:
        with self._lock:
            items = copy.deepcopy(self._line_items.get(session["id"], []))
        amount = format_amount(session["amount_total"], session["currency"])
        rows = "".join(
            f"<li>{html.escape(item['description'])} × {item['quantity']}: "
            f"{format_amount(item['amount_total'], item['currency'])}</li>"
            for item in items
        )
        email = html.escape(session["customer_email"] or "", quote=True)
        cancel = session["cancel_url"]
        cancel_link = (
            f'<p><a href="{html.escape(cancel, quote=True)}">Cancel</a></p>' if cancel else ""
        )
        business = html.escape(self.business_name)
        content = f"""<p>Total due: <strong>{amount}</strong></p>
<h2>Order summary</h2>
<ul>{rows}</ul>
<form method="post" action="/pay/{html.escape(session["id"], quote=True)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required value="{email}">
<button type="submit">Pay {amount}</button>
</form>
{cancel_link}"""
        return self._page(200, f"Pay {business}", content, title=f"Pay {business}: {amount}")

    @staticmethod
    def _page(status: int, heading: str, content: str, *, title: str | None = None) -> _Response:
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title or heading}</title>
</head>
<body>
<main>
<h1>{heading}</h1>
{content}
</main>
</body>
</html>
"""
        return _Response(status, page.encode("utf-8"), "text/html; charset=utf-8")

    # ------------------------------------------------------------------ webhooks

    def _post_event(self, url: str, event: JSON) -> Delivery:
        payload, header = self.signed(event)
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": header,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with _DIRECT.open(request, timeout=self.webhook_timeout) as response:
                delivery = Delivery(url, event, response.status, response.read(), None)
        except urllib.error.HTTPError as error:
            delivery = Delivery(url, event, error.code, error.read(), None)
        except (urllib.error.URLError, OSError) as error:
            delivery = Delivery(url, event, None, b"", str(error))
        with self._lock:
            self.deliveries.append(delivery)
        return delivery
