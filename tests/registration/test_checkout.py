"""Paying by card through Stripe Checkout (faked at the HTTP level): holds, the Checkout
Session the app creates, fulfilment from the success redirect, and Stripe being down."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registration.models import CartItem, Enrolment, Order, Payment

from .flows import (
    add_to_cart,
    cart_item,
    cart_page,
    choose_ce,
    place_order,
    register,
    seats_left_shown,
    session_of,
    text,
    webhook,
)

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


def checkout_creations(fake_stripe):
    return [
        r for r in fake_stripe.requests if (r.method, r.path) == ("POST", "/v1/checkout/sessions")
    ]


def test_placing_an_order_holds_its_seat(
    signed_in, fake_stripe, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    assert seats_left_shown(signed_in, module_1) == "40 of 40"

    order = register(signed_in, django_capture_on_commit_callbacks, module_1)

    assert order.status == "pending"
    assert seats_left_shown(signed_in, module_1) == "39 of 40"
    assert Enrolment.objects.get(order_line__order=order).status == "held"


def test_the_hold_lasts_until_the_checkout_session_expires(
    signed_in, fake_stripe, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))

    checkout = fake_stripe.sessions[order.stripe_checkout_session_id]
    assert order.expires_at.timestamp() == checkout["expires_at"]
    assert order.expires_at - timezone.now() >= timedelta(minutes=30)
    hold = Enrolment.objects.get(order_line__order=order)
    assert hold.hold_expires_at == order.expires_at


def test_the_trainee_is_sent_to_stripe_for_the_order_total(
    signed_in, trainee, fake_stripe, django_capture_on_commit_callbacks
):
    add_to_cart(signed_in, session_of("module-1", 6))
    choose_ce(signed_in, cart_item(trainee, session_of("module-1", 6)), "apa")

    response = place_order(signed_in, django_capture_on_commit_callbacks)

    order = Order.objects.get(trainee=trainee)
    checkout = fake_stripe.sessions[order.stripe_checkout_session_id]
    assert response["Location"] == checkout["url"]
    assert (checkout["amount_total"], checkout["currency"]) == (42900, "usd")
    assert checkout["customer_email"] == trainee.email


def test_the_checkout_session_carries_an_idempotency_key_and_the_order_code(
    signed_in, fake_stripe, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))

    (creation,) = checkout_creations(fake_stripe)
    assert creation.idempotency_key
    assert order.code in creation.idempotency_key
    assert creation.params["client_reference_id"] == order.code
    assert creation.params["metadata"]["order_code"] == order.code


def test_the_success_redirect_fulfils_the_order_without_waiting_for_the_webhook(
    signed_in, trainee, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))
    fake_stripe.complete(order.stripe_checkout_session_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.get(
            f"/checkout/success/?session_id={order.stripe_checkout_session_id}", follow=True
        )

    assert response.status_code == 200
    assert "Your registration is confirmed." in text(response)
    order.refresh_from_db()
    assert order.status == "paid"
    assert Enrolment.objects.get(order_line__order=order).status == "confirmed"
    assert len(mailoutbox) == 1

    completed = fake_stripe.sessions[order.stripe_checkout_session_id]
    reply = webhook(
        signed_in,
        fake_stripe,
        django_capture_on_commit_callbacks,
        "checkout.session.completed",
        completed,
    )

    assert reply.status_code == 200
    assert len(mailoutbox) == 1
    assert Payment.objects.filter(order=order).count() == 1


def test_the_success_page_for_an_unpaid_session_leaves_the_order_pending(
    signed_in, fake_stripe, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))

    response = signed_in.get(
        f"/checkout/success/?session_id={order.stripe_checkout_session_id}", follow=True
    )

    assert "Your seats are held until" in text(response)
    order.refresh_from_db()
    assert order.status == "pending"


def test_the_success_page_of_another_trainees_payment_is_not_found(
    client, make_trainee, fake_stripe, django_capture_on_commit_callbacks
):
    owner, intruder = make_trainee(), make_trainee()
    client.force_login(owner)
    order = register(client, django_capture_on_commit_callbacks, session_of("module-1", 6))
    fake_stripe.complete(order.stripe_checkout_session_id)
    client.force_login(intruder)

    response = client.get(f"/checkout/success/?session_id={order.stripe_checkout_session_id}")

    assert response.status_code == 404


@pytest.fixture
def stripe_times_out(settings, fake_stripe):
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    fake_stripe.fail_next("POST", "/v1/checkout/sessions", delay=5)
    return fake_stripe


def test_stripe_timing_out_releases_the_seats_and_restores_the_cart(
    signed_in, trainee, stripe_times_out, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    add_to_cart(signed_in, module_1)
    choose_ce(signed_in, cart_item(trainee, module_1), "apa")

    response = place_order(signed_in, django_capture_on_commit_callbacks)

    assert response["Location"] == "/cart/"
    page = text(signed_in.get("/cart/"))
    assert "We could not reach our card payment provider, so nothing was charged" in page
    assert seats_left_shown(signed_in, module_1) == "40 of 40"
    item = CartItem.objects.get(trainee=trainee)
    assert (item.session, item.credit_type.code) == (module_1, "apa")
    assert Order.objects.get(trainee=trainee).status == "cancelled"

    response = place_order(signed_in, django_capture_on_commit_callbacks)

    assert response["Location"].startswith(stripe_times_out.url)
    assert Order.objects.filter(trainee=trainee, status="pending").count() == 1
    assert seats_left_shown(signed_in, module_1) == "39 of 40"


def test_stripe_refusing_the_checkout_session_is_explained_too(
    signed_in, trainee, fake_stripe, django_capture_on_commit_callbacks
):
    fake_stripe.fail_next("POST", "/v1/checkout/sessions", status=500)
    add_to_cart(signed_in, session_of("module-1", 6))

    place_order(signed_in, django_capture_on_commit_callbacks)

    assert "nothing was charged and your seats were released" in text(cart_page(signed_in))
    assert CartItem.objects.filter(trainee=trainee).exists()


def test_a_pending_order_can_be_cancelled_and_its_seats_released(
    signed_in, trainee, fake_stripe, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    order = register(signed_in, django_capture_on_commit_callbacks, module_1)

    response = signed_in.post(f"/orders/{order.code}/cancel/", follow=True)

    assert f"Order {order.code} is cancelled and its seats released." in text(response)
    assert seats_left_shown(signed_in, module_1) == "40 of 40"
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_cancelling_closes_the_stripe_checkout_so_another_tab_cannot_pay_for_it(
    signed_in, fake_stripe, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))
    checkout = order.stripe_checkout_session_id
    assert fake_stripe.sessions[checkout]["status"] == "open"

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/orders/{order.code}/cancel/")

    assert fake_stripe.sessions[checkout]["status"] == "expired"
    assert fake_stripe.sessions[checkout]["url"] is None
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_a_stripe_error_while_closing_the_checkout_is_retried_and_the_cancel_stands(
    signed_in, fake_stripe, django_capture_on_commit_callbacks, eager_retries
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))
    checkout = order.stripe_checkout_session_id
    expire = f"/v1/checkout/sessions/{checkout}/expire"
    fake_stripe.fail_next("POST", expire, status=500, times=4)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/orders/{order.code}/cancel/", follow=True)

    assert f"Order {order.code} is cancelled and its seats released." in text(response)
    assert fake_stripe.sessions[checkout]["status"] == "expired"
    attempts = [r for r in fake_stripe.requests if (r.method, r.path) == ("POST", expire)]
    assert len(attempts) == 5


def test_a_checkout_that_expired_by_itself_is_not_expired_again(
    signed_in, fake_stripe, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))
    checkout = order.stripe_checkout_session_id
    expired = fake_stripe.expire(checkout)

    webhook(
        signed_in,
        fake_stripe,
        django_capture_on_commit_callbacks,
        "checkout.session.expired",
        expired,
    )

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert not [r for r in fake_stripe.requests if r.path.endswith("/expire")]


def test_pay_by_card_button_goes_back_to_the_open_checkout(
    signed_in, fake_stripe, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))

    assert "Pay by card" in text(signed_in.get(f"/orders/{order.code}/"))
    response = signed_in.post(f"/orders/{order.code}/pay/")

    assert response["Location"] == fake_stripe.sessions[order.stripe_checkout_session_id]["url"]


def test_the_success_page_waits_for_the_webhook_when_stripe_cannot_be_asked(
    signed_in, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))
    fake_stripe.complete(order.stripe_checkout_session_id)
    fake_stripe.fail_next("GET", "/v1/checkout/sessions/", status=503)

    response = signed_in.get(
        f"/checkout/success/?session_id={order.stripe_checkout_session_id}", follow=True
    )

    assert response.status_code == 200
    assert "Your payment is being confirmed" in text(response)
    order.refresh_from_db()
    assert order.status == "pending"
    webhook(
        signed_in,
        fake_stripe,
        django_capture_on_commit_callbacks,
        "checkout.session.completed",
        fake_stripe.sessions[order.stripe_checkout_session_id],
    )
    order.refresh_from_db()
    assert order.status == "paid"
    assert len(mailoutbox) == 1
