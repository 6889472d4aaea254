"""Stripe's webhook: verified, de-duplicated, trusting Stripe's API rather than the payload."""

from datetime import timedelta

import pytest
import stripe
from django.test import Client
from django.utils import timezone

from catalog.models import Session
from registration.models import Enrolment, Order, Payment, Refund
from registration.services.cart import cart_add
from registration.services.orders import order_place
from registration.services.payments import refund_issue
from registration.tasks import holds_expire

from .flows import fill, pay, register, seats_left_shown, session_of, text, webhook

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


@pytest.fixture
def pending(signed_in, fake_stripe, django_capture_on_commit_callbacks):
    """A card order for Module 1 in June, its Checkout Session open."""
    return register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))


def post_signed(client, payload: bytes, header: str):
    return client.post(
        "/stripe/webhook/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def test_a_webhook_replayed_five_times_pays_the_order_once_with_one_email(
    client, pending, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    completed = fake_stripe.complete(pending.stripe_checkout_session_id)
    event = fake_stripe.event("checkout.session.completed", completed)
    payload, header = fake_stripe.signed(event)

    replies = []
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            replies.append(post_signed(client, payload, header))

    assert [reply.status_code for reply in replies] == [200] * 5
    pending.refresh_from_db()
    assert pending.status == "paid"
    assert Payment.objects.filter(order=pending).count() == 1
    assert len(mailoutbox) == 1


def test_five_completion_events_for_one_payment_confirm_it_once(
    client, pending, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    completed = fake_stripe.complete(pending.stripe_checkout_session_id)

    for event_type in ["checkout.session.completed"] * 4 + [
        "checkout.session.async_payment_succeeded"
    ]:
        reply = webhook(
            client, fake_stripe, django_capture_on_commit_callbacks, event_type, completed
        )
        assert reply.status_code == 200

    assert Payment.objects.filter(order=pending).count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "t=1,v1=deadbeef",
        "not a signature",
    ],
)
def test_an_unsigned_or_badly_signed_webhook_is_refused_and_changes_nothing(
    client, pending, fake_stripe, mailoutbox, signature
):
    completed = fake_stripe.complete(pending.stripe_checkout_session_id)
    payload, _header = fake_stripe.signed(
        fake_stripe.event("checkout.session.completed", completed)
    )
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}

    reply = client.post("/stripe/webhook/", payload, content_type="application/json", **headers)

    assert reply.status_code == 400
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not mailoutbox


def test_a_webhook_signed_with_another_secret_is_refused(client, pending, fake_stripe):
    completed = fake_stripe.complete(pending.stripe_checkout_session_id)
    event = fake_stripe.event("checkout.session.completed", completed)

    reply = post_signed(client, *fake_stripe.signed(event, secret="whsec_someone_else"))

    assert reply.status_code == 400
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_webhook_altered_after_signing_is_refused(client, pending, fake_stripe):
    completed = fake_stripe.complete(pending.stripe_checkout_session_id)
    payload, header = fake_stripe.signed(fake_stripe.event("checkout.session.completed", completed))

    reply = post_signed(client, payload.replace(b'"paid"', b'"paid" '), header)

    assert reply.status_code == 400
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_stale_webhook_signature_is_refused(client, pending, fake_stripe):
    completed = fake_stripe.complete(pending.stripe_checkout_session_id)
    event = fake_stripe.event("checkout.session.completed", completed)
    an_hour_ago = int(timezone.now().timestamp()) - 3600

    reply = post_signed(client, *fake_stripe.signed(event, timestamp=an_hour_ago))

    assert reply.status_code == 400
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_payload_claiming_payment_for_an_unpaid_session_fulfils_nothing(
    client, pending, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    forged = dict(
        fake_stripe.sessions[pending.stripe_checkout_session_id],
        payment_status="paid",
        status="complete",
    )

    reply = webhook(
        client,
        fake_stripe,
        django_capture_on_commit_callbacks,
        "checkout.session.completed",
        forged,
    )

    assert reply.status_code == 200
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not mailoutbox


def test_an_amount_that_differs_from_the_order_flags_it_and_does_not_fulfil(
    client, pending, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    pay(client, fake_stripe, django_capture_on_commit_callbacks, pending, amount_total=100)

    assert pending.status != "paid"
    assert "Stripe reports $1 USD paid, but the order is for $350" in pending.flagged_reason
    assert Enrolment.objects.get(order_line__order=pending).status == "held"
    assert not mailoutbox


@pytest.mark.parametrize(
    "event_type", ["checkout.session.expired", "checkout.session.async_payment_failed"]
)
def test_an_expired_or_failed_checkout_releases_the_seats(
    signed_in, pending, fake_stripe, event_type, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    assert seats_left_shown(signed_in, module_1) == "39 of 40"
    checkout = (
        fake_stripe.expire(pending.stripe_checkout_session_id)
        if event_type == "checkout.session.expired"
        else fake_stripe.complete(pending.stripe_checkout_session_id, async_payment=True)
    )
    if event_type == "checkout.session.async_payment_failed":
        checkout = fake_stripe.settle_async(pending.stripe_checkout_session_id, succeeded=False)

    reply = webhook(
        signed_in, fake_stripe, django_capture_on_commit_callbacks, event_type, checkout
    )

    assert reply.status_code == 200
    pending.refresh_from_db()
    assert pending.status in ("cancelled", "expired")
    assert Enrolment.objects.get(order_line__order=pending).status in ("cancelled", "expired")
    assert seats_left_shown(signed_in, module_1) == "40 of 40"


def test_an_async_payment_that_succeeds_later_confirms_the_order(
    client, pending, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    processing = fake_stripe.complete(pending.stripe_checkout_session_id, async_payment=True)
    webhook(
        client,
        fake_stripe,
        django_capture_on_commit_callbacks,
        "checkout.session.completed",
        processing,
    )
    pending.refresh_from_db()
    assert pending.status == "pending"

    settled = fake_stripe.settle_async(pending.stripe_checkout_session_id)
    webhook(
        client,
        fake_stripe,
        django_capture_on_commit_callbacks,
        "checkout.session.async_payment_succeeded",
        settled,
    )

    pending.refresh_from_db()
    assert pending.status == "paid"
    assert len(mailoutbox) == 1


def test_a_refund_made_in_the_stripe_dashboard_is_recorded(
    signed_in, pending, fake_stripe, django_capture_on_commit_callbacks
):
    pay(signed_in, fake_stripe, django_capture_on_commit_callbacks, pending)
    refund = fake_stripe.refund_from_dashboard(pending.stripe_payment_intent_id, amount=5000)
    charge = fake_stripe.charges[refund["charge"]]

    for _ in range(2):
        reply = webhook(
            signed_in, fake_stripe, django_capture_on_commit_callbacks, "charge.refunded", charge
        )
        assert reply.status_code == 200

    pending.refresh_from_db()
    assert pending.refunded_cents == 5000
    assert list(
        Refund.objects.filter(order=pending).values_list("amount_cents", "stripe_refund_id")
    ) == [(5000, refund["id"])]
    assert "−$50" in text(signed_in.get(f"/orders/{pending.code}/"))


def test_a_refund_event_for_a_refund_the_app_made_is_not_counted_twice(
    signed_in, pending, fake_stripe, django_capture_on_commit_callbacks
):

    pay(signed_in, fake_stripe, django_capture_on_commit_callbacks, pending)
    refund_issue(order=pending, amount_cents=32500, reason="Goodwill", by=None, idempotency_key="k")
    charge = fake_stripe.charges[next(iter(fake_stripe.refunds.values()))["charge"]]

    webhook(signed_in, fake_stripe, django_capture_on_commit_callbacks, "charge.refunded", charge)

    pending.refresh_from_db()
    assert pending.refunded_cents == 32500
    assert Refund.objects.filter(order=pending).count() == 1


def test_an_event_the_app_does_not_handle_is_acknowledged(client, fake_stripe):
    reply = webhook(client, fake_stripe, lambda **_: _null(), "customer.created", {"id": "cus_1"})

    assert reply.status_code == 200


class _null:
    def __enter__(self):
        return []

    def __exit__(self, *exc):
        return False


def test_payment_after_the_hold_expired_is_confirmed_while_the_seat_is_free(
    client, pending, fake_stripe, before_season, mailoutbox, django_capture_on_commit_callbacks
):
    before_season.move_to(pending.expires_at + timedelta(minutes=5))
    holds_expire.delay()
    pending.refresh_from_db()
    assert pending.status == "expired"

    pay(client, fake_stripe, django_capture_on_commit_callbacks, pending)

    assert pending.status == "paid"
    assert Enrolment.objects.get(order_line__order=pending).status == "confirmed"
    assert len(mailoutbox) == 1


def test_payment_after_the_hold_expired_and_the_seat_was_taken_is_refunded_not_overbooked(
    client, make_trainee, fake_stripe, before_season, mailoutbox, django_capture_on_commit_callbacks
):
    last_seat = session_of("module-1", 6)
    fill(last_seat, leave=1)
    late, early = make_trainee(), make_trainee()
    client.force_login(late)
    order = register(client, django_capture_on_commit_callbacks, last_seat)
    before_season.move_to(order.expires_at + timedelta(minutes=1))
    cart_add(trainee=early, session=last_seat, now=timezone.now())
    order_place(trainee=early, payment_method="offline", now=timezone.now())

    pay(client, fake_stripe, django_capture_on_commit_callbacks, order)
    replay = webhook(  # a second event for the same payment: nothing more is refunded
        client,
        fake_stripe,
        django_capture_on_commit_callbacks,
        "checkout.session.async_payment_succeeded",
        fake_stripe.sessions[order.stripe_checkout_session_id],
    )
    assert replay.status_code == 200

    order.refresh_from_db()
    assert order.status == "expired"
    assert "no longer had a free seat" in order.flagged_reason
    page = text(client.get(f"/orders/{order.code}/"))
    assert "no longer had a free seat: refunded automatically" in page
    assert "Pay by card" not in page
    assert [(r["amount"], r["payment_intent"]) for r in fake_stripe.refunds.values()] == [
        (35000, order.stripe_payment_intent_id)
    ]
    assert order.refunded_cents == 35000
    assert (
        Session.objects.seats_taken(session_id=last_seat.pk, now=timezone.now())
        == last_seat.capacity
    )
    assert Enrolment.objects.get(order_line__order=order).status != "confirmed"
    assert not [m for m in mailoutbox if "confirmed" in m.subject]


def test_the_webhook_is_refused_when_stripe_is_not_configured(client, settings):
    settings.STRIPE_SECRET_KEY = ""

    reply = client.post("/stripe/webhook/", b"{}", content_type="application/json")

    assert reply.status_code == 400
    assert Order.objects.count() == 0


def test_a_webhook_that_fails_midway_is_processed_when_stripe_sends_it_again(
    pending, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):

    completed = fake_stripe.complete(pending.stripe_checkout_session_id)
    event = fake_stripe.event("checkout.session.completed", completed)
    payload, header = fake_stripe.signed(event)
    fake_stripe.fail_next("GET", "/v1/checkout/sessions/", status=500)
    stripe_side = Client(raise_request_exception=False)

    with django_capture_on_commit_callbacks(execute=True):
        first = post_signed(stripe_side, payload, header)
    assert first.status_code == 500
    pending.refresh_from_db()
    assert pending.status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        retry = post_signed(stripe_side, payload, header)

    assert retry.status_code == 200
    pending.refresh_from_db()
    assert pending.status == "paid"
    assert len(mailoutbox) == 1


def a_checkout_made_elsewhere(fake_stripe) -> dict:
    """A Checkout Session created on the same Stripe account by something other than the site
    (a payment link, another integration), then paid."""

    other = stripe.StripeClient(
        fake_stripe.api_key,
        base_addresses={"api": fake_stripe.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=5),
    )
    created = other.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 35000,
                        "product_data": {"name": "Something else"},
                    },
                }
            ],
            "success_url": "https://elsewhere.example/thanks",
        }
    )
    return fake_stripe.complete(created.id)


def a_checkout_unknown_to_stripe(fake_stripe, pending) -> dict:
    """A paid-looking session under an id neither the site nor the Stripe account ever made."""
    return dict(
        fake_stripe.sessions[pending.stripe_checkout_session_id],
        id="cs_test_a1" + "x" * 56,
        payment_status="paid",
        status="complete",
    )


@pytest.mark.parametrize("made", [a_checkout_made_elsewhere, a_checkout_unknown_to_stripe])
def test_a_completed_checkout_the_site_never_created_is_acknowledged_and_changes_nothing(
    client, pending, fake_stripe, mailoutbox, caplog, django_capture_on_commit_callbacks, made
):
    checkout = (
        made(fake_stripe) if made is a_checkout_made_elsewhere else made(fake_stripe, pending)
    )
    event = fake_stripe.event("checkout.session.completed", checkout)
    payload, header = fake_stripe.signed(event)

    replies = []
    for _ in range(2):  # Stripe would deliver it again after a failure
        with django_capture_on_commit_callbacks(execute=True):
            replies.append(post_signed(client, payload, header))

    assert [(r.status_code, r.content) for r in replies] == [(200, b"ignored"), (200, b"replayed")]
    assert checkout["id"] in caplog.text
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert Payment.objects.count() == 0
    assert not Order.objects.exclude(pk=pending.pk).exists()
    assert not mailoutbox


def test_a_refund_event_for_a_payment_of_no_order_is_acknowledged_and_changes_nothing(
    client, pending, fake_stripe, caplog, django_capture_on_commit_callbacks
):
    refund = {
        "id": "re_" + "x" * 24,
        "object": "refund",
        "amount": 35000,
        "currency": "usd",
        "payment_intent": "pi_" + "x" * 24,
        "status": "succeeded",
    }

    reply = webhook(
        client, fake_stripe, django_capture_on_commit_callbacks, "refund.created", refund
    )

    assert (reply.status_code, reply.content) == (200, b"ignored")
    assert refund["id"] in caplog.text
    assert Refund.objects.count() == 0
