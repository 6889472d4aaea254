"""Money going back is never silent: every refund reaches the trainee by email, through the
outbox — made by the coordinator (card or invoice), in the Stripe dashboard, automatically
after a late payment, or when the coordinator resolves a payment that did not match its
order. A trainee's own cancellation says what it refunded in its own email."""

import pytest
from django.urls import reverse

from catalog.models import Session
from registration.models import Enrolment, OutboundEmail, Refund
from tests.admin_pages import order_url, shown_messages

from .flows import paid_order, pay, register, session_of, text, webhook

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


@pytest.fixture
def paid_by_card(signed_in, fake_stripe, django_capture_on_commit_callbacks, mailoutbox):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))
    pay(signed_in, fake_stripe, django_capture_on_commit_callbacks, order)
    mailoutbox.clear()
    return order


def refund_from_admin(client, order, amount: str, capture):
    with capture(execute=True):
        return client.post(
            order_url(order, "refund"),
            {"amount": amount, "reason": "Goodwill", "refunded_cents_seen": order.refunded_cents},
            follow=True,
        )


def test_a_card_refund_by_the_coordinator_is_emailed_to_the_trainee(
    admin_client, paid_by_card, mailoutbox, django_capture_on_commit_callbacks
):
    refund_from_admin(admin_client, paid_by_card, "$100", django_capture_on_commit_callbacks)

    (message,) = mailoutbox
    assert message.to == [paid_by_card.trainee.email]
    assert message.subject == f"Your refund for order {paid_by_card.code}"
    assert f"We have refunded $100 of your order {paid_by_card.code}." in message.body
    assert "back to the card you paid with" in message.body
    assert "Order total: $350 · refunded on this order so far: $100." in message.body
    assert "Goodwill" not in message.body  # the coordinator's reason is for staff


def test_an_invoice_refund_tells_the_trainee_the_center_pays_it_back(
    admin_client, trainee, mailoutbox, django_capture_on_commit_callbacks
):
    order = paid_order(trainee, session_of("module-1", 6))
    mailoutbox.clear()

    refund_from_admin(admin_client, order, "$325", django_capture_on_commit_callbacks)

    (message,) = mailoutbox
    assert "We have refunded $325" in message.body
    assert "the center pays this amount back to you" in message.body


def test_a_refund_made_in_the_stripe_dashboard_is_emailed_once(
    client, paid_by_card, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    refund = fake_stripe.refund_from_dashboard(paid_by_card.stripe_payment_intent_id, 5000)
    for _ in range(2):  # Stripe sends the event twice
        webhook(client, fake_stripe, django_capture_on_commit_callbacks, "refund.created", refund)

    (message,) = mailoutbox
    assert f"We have refunded $50 of your order {paid_by_card.code}." in message.body
    assert OutboundEmail.objects.filter(kind="refund_issued").count() == 1


def test_cancelling_within_the_policy_sends_one_email_that_says_what_was_refunded(
    signed_in, paid_by_card, mailoutbox, django_capture_on_commit_callbacks
):
    enrolment = Enrolment.objects.get(order_line__order=paid_by_card)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/enrolments/{enrolment.pk}/cancel/")

    (message,) = mailoutbox
    assert "is cancelled" in message.subject
    assert "Refunded for this registration: $325." in message.body


def test_a_payment_that_did_not_match_its_order_is_refunded_by_the_coordinator_and_explained(
    signed_in,
    admin_client,
    fake_stripe,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    module_1 = session_of("module-1", 6)
    order = register(signed_in, capture, module_1)
    pay(signed_in, fake_stripe, capture, order, amount_total=100)
    assert "Stripe reports $1 USD paid, but the order is for $350" in order.flagged_reason
    assert not mailoutbox

    page = admin_client.get(order_url(order))
    link = reverse("admin:registration_order_payment_mismatch", args=[order.pk])
    assert f'href="{link}"' in page.content.decode()
    assert "Stripe reports $1 USD paid, but the order is for $350" in text(admin_client.get(link))
    with capture(execute=True):
        response = admin_client.post(link, follow=True)

    assert shown_messages(response) == [
        f"$1 refunded on order {order.code}, which is cancelled; the trainee is told by email."
    ]
    order.refresh_from_db()
    assert (order.status, order.refunded_cents, order.flagged_reason) == ("cancelled", 100, "")
    assert [(r["amount"], r["payment_intent"]) for r in fake_stripe.refunds.values()] == [
        (100, order.stripe_payment_intent_id)
    ]
    assert Session.objects.seats_taken(session_id=module_1.pk, now=order.created_at) == 0
    (message,) = mailoutbox
    assert message.subject == f"Your payment for order {order.code} was refunded"
    assert "Your card payment of $1 for order" in message.body
    assert "did not match the order's total of $350" in message.body
    assert f'href="{link}"' not in admin_client.get(order_url(order)).content.decode()

    with capture(execute=True):
        again = admin_client.post(link, follow=True)
    assert shown_messages(again) == [f"Order {order.code}'s payment was resolved already."]
    assert Refund.objects.filter(order=order).count() == 1
    assert len(mailoutbox) == 1
