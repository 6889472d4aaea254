"""Money going back is never silent: a refund the coordinator makes, and the automatic refund
of a card payment that arrived after its seat was gone, each reach the trainee by email
through the outbox (a real Celery worker, Redis, PostgreSQL, SMTP; Stripe faked over HTTP)."""

import email
import email.policy
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registration.services.cart import cart_add
from registration.services.orders import order_place
from tests.factories import login_staff
from tests.processes import DEADLINE_SECONDS, wait_for
from tests.registration.flows import fill, pay, register, session_of
from tests.worker import Worker, worker_idle

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]


def received(smtp_server) -> dict[str, list[email.message.EmailMessage]]:
    """The messages the mail server accepted, by recipient."""
    by_recipient: dict[str, list] = {}
    for raw in smtp_server.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        by_recipient.setdefault(message["To"], []).append(message)
    return by_recipient


def test_trainees_are_told_of_a_coordinators_refund_and_of_an_automatic_one(
    app_on_private_redis,
    private_redis,
    worker_env,
    smtp_server,
    coordinator,
    make_trainee,
    fake_stripe,
    before_season,
    django_capture_on_commit_callbacks,
    tmp_path,
):
    capture = django_capture_on_commit_callbacks
    login_staff(coordinator, coordinator.user)  # on the test's clock
    worker = Worker(queue="celery", env=worker_env, log=tmp_path / "worker.log")
    try:
        # A trainee pays by card; the coordinator then refunds the tuition from the order.
        refunded = make_trainee(first_name="Mara", last_name="Okonkwo-Reyes")
        trainee = Client()
        trainee.force_login(refunded)
        order = register(trainee, capture, session_of("module-1", 6))
        pay(trainee, fake_stripe, capture, order)
        response = coordinator.post(
            reverse("admin:registration_order_refund", args=[order.pk]),
            {"amount": "$325", "reason": "Cancelled within the policy", "refunded_cents_seen": 0},
            follow=True,
        )
        assert response.status_code == 200

        # Another pays after the hold on the last seat expired and someone else took it.
        last_seat = session_of("module-1", 10)
        fill(last_seat, leave=1)
        late = make_trainee(first_name="Teodor", last_name="Vasquez-Lind")
        trainee.force_login(late)
        late_order = register(trainee, capture, last_seat)
        before_season.move_to(late_order.expires_at + timedelta(minutes=1))
        early = make_trainee()
        cart_add(trainee=early, session=last_seat, now=timezone.now())
        order_place(trainee=early, payment_method="offline", now=timezone.now())
        pay(trainee, fake_stripe, capture, late_order)
        assert late_order.status == "expired" and late_order.refunded_cents == 35000

        assert smtp_server.wait_messages(4, DEADLINE_SECONDS), worker.output()  # four emails
        wait_for(lambda: worker_idle(worker, private_redis.url), "the worker to finish", worker)
    finally:
        worker.stop()

    inbox = received(smtp_server)
    assert len(smtp_server.messages) == 4  # no duplicates
    confirmation, refund = inbox[refunded.email]
    assert confirmation["Subject"] == f"Your registration is confirmed ({order.code})"
    assert refund["Subject"] == f"Your refund for order {order.code}"
    body = refund.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Hello Mara Okonkwo-Reyes,")
    assert f"We have refunded $325 of your order {order.code}." in body
    assert "back to the card you paid with" in body

    (automatic,) = inbox[late.email]
    assert automatic["Subject"] == f"Your payment for order {late_order.code} was refunded"
    body = automatic.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Hello Teodor Vasquez-Lind,")
    assert "$350" in body and "no seat left" in body and "refunded the whole payment" in body
    assert [m["Subject"] for m in inbox[early.email]] != []  # the invoice order's own email
