"""Stripe delivering one payment's webhooks five at a time, on real PostgreSQL: every delivery
is acknowledged and the order is paid once, with one payment and one confirmation email."""

import threading

import pytest
from django.db import connection
from django.test import Client

from registration.models import Enrolment, OutboundEmail, Payment
from tests.registration.flows import register, session_of, text

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

DELIVERIES = 5
JOIN_SECONDS = 60


@pytest.fixture
def pending(postgres, client, make_trainee, fake_stripe, django_capture_on_commit_callbacks):
    """A card order for Module 1 in June, paid on Stripe's page; no webhook received yet."""
    client.force_login(make_trainee())
    order = register(client, django_capture_on_commit_callbacks, session_of("module-1", 6))
    fake_stripe.complete(order.stripe_checkout_session_id)
    return order


def deliver_at_once(signed: list[tuple[bytes, str]]) -> list[tuple[int, str]]:
    """POST each signed payload from a thread of its own, all released together, as Stripe's
    parallel deliveries reach several web workers; (status, body) in the order given."""
    start = threading.Barrier(len(signed))
    replies: list[tuple[int, str] | None] = [None] * len(signed)
    errors: list[BaseException] = []

    def post(index: int, payload: bytes, header: str) -> None:
        try:
            start.wait(timeout=JOIN_SECONDS)
            reply = Client().post(
                "/stripe/webhook/",
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            replies[index] = (reply.status_code, reply.content.decode())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, *pair)) for i, pair in enumerate(signed)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a webhook delivery hung"
    assert errors == []
    return replies


def assert_paid_once(client, order, mailoutbox) -> None:
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.filter(order=order).count() == 1
    assert list(
        Enrolment.objects.filter(order_line__order=order).values_list("status", flat=True)
    ) == ["confirmed"]
    assert OutboundEmail.objects.filter(order=order, kind="order_confirmation").count() == 1
    assert [message.subject for message in mailoutbox] == [
        f"Your registration is confirmed ({order.code})"
    ]
    assert "Paid" in text(client.get(order.get_absolute_url()))


def test_one_event_delivered_five_times_at_once_pays_the_order_once(
    client, pending, fake_stripe, mailoutbox
):
    completed = fake_stripe.sessions[pending.stripe_checkout_session_id]
    signed = fake_stripe.signed(fake_stripe.event("checkout.session.completed", completed))

    replies = deliver_at_once([signed] * DELIVERIES)

    assert sorted(replies) == [(200, "handled")] + [(200, "replayed")] * (DELIVERIES - 1)
    assert_paid_once(client, pending, mailoutbox)


def test_five_different_events_for_one_payment_at_once_pay_the_order_once(
    client, pending, fake_stripe, mailoutbox
):
    completed = fake_stripe.sessions[pending.stripe_checkout_session_id]
    event_types = ["checkout.session.completed"] * (DELIVERIES - 1) + [
        "checkout.session.async_payment_succeeded"
    ]

    replies = deliver_at_once(
        [fake_stripe.signed(fake_stripe.event(kind, completed)) for kind in event_types]
    )

    assert replies == [(200, "handled")] * DELIVERIES
    assert_paid_once(client, pending, mailoutbox)
