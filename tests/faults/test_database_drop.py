"""PostgreSQL dropping a request's connection: the trainee gets a "try again" page (503) rather
than a 500, nothing of a half-placed order is left, an order whose card payment could not be
started can be paid or taken back to the cart at once, and the next request connects afresh."""

from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from registration.models import CartItem, Enrolment, Order, OrderLine
from registration.services import orders, payments
from registration.views import enrolments as views
from tests.processes import database_url
from tests.registration.flows import (
    add_to_cart,
    cart_page,
    pay,
    place_order,
    seats_left_shown,
    session_of,
    text,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

TERMINATE_WAIT_MS = 5000


def terminate_this_connection() -> None:
    """Have the server end this thread's connection (as a restart or failover would), from a
    second connection, and wait until its backend is gone."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(database_url(), autocommit=True, connect_timeout=5) as admin:
        (ended,) = admin.execute(
            "SELECT pg_terminate_backend(%s, %s)", (pid, TERMINATE_WAIT_MS)
        ).fetchone()
    assert ended, f"backend {pid} was not terminated"


def drop_the_connection_before(monkeypatch, module, name: str) -> None:
    """The next call of module.name first has the connection dropped (once), then runs."""
    original = getattr(module, name)

    def drop_then_call(*args, **kwargs):
        monkeypatch.setattr(module, name, original)
        terminate_this_connection()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, drop_then_call)


@pytest.fixture
def connection_dropped_mid_order(monkeypatch):
    """The connection is dropped once the order, its lines and held seats are written and the
    cart emptied, inside the order's transaction; the app's next query meets the dead socket."""
    drop_the_connection_before(monkeypatch, orders, "log_action")


def test_a_connection_dropped_while_placing_an_order_shows_try_again_and_keeps_the_cart(
    postgres,
    client,
    make_trainee,
    settings,
    connection_dropped_mid_order,
    django_capture_on_commit_callbacks,
):
    settings.STRIPE_SECRET_KEY = ""  # invoice or check, the trainee's only way without Stripe
    trainee = make_trainee()
    client.force_login(trainee)
    module_1 = session_of("module-1", 6)
    add_to_cart(client, module_1)

    response = place_order(client, django_capture_on_commit_callbacks, "offline")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = text(response)
    assert "The site is temporarily unavailable" in page
    assert "Nothing was charged" in page
    assert "Please try again in a minute" in page

    # The next request gets a working connection; nothing of the order was kept.
    assert seats_left_shown(client, module_1) == "40 of 40"
    assert not Order.objects.filter(trainee=trainee).exists()
    assert not OrderLine.objects.exists()
    assert not Enrolment.objects.filter(trainee=trainee).exists()
    assert CartItem.objects.filter(trainee=trainee, session=module_1).exists()
    assert module_1.offering.display_title in text(client.get("/cart/"))

    retry = place_order(client, django_capture_on_commit_callbacks, "offline")

    order = Order.objects.get(trainee=trainee)
    assert retry.status_code == 302 and retry.url == order.get_absolute_url()
    assert order.status == "pending"
    assert Enrolment.objects.get(trainee=trainee).status == "held"
    assert not CartItem.objects.filter(trainee=trainee).exists()
    assert seats_left_shown(client, module_1) == "39 of 40"


@pytest.fixture
def connection_dropped_starting_card_payment(monkeypatch):
    """The connection is dropped once the order is placed (its seat held, the cart emptied) and
    Stripe is asked for its Checkout Session: Stripe creates it, the site cannot record it."""
    drop_the_connection_before(monkeypatch, payments, "stripe_client")


def card_payment_not_started(client, capture, fake_stripe, trainee, module_1) -> Order:
    add_to_cart(client, module_1)

    response = place_order(client, capture, "stripe")

    assert response.status_code == 503
    assert "Nothing was charged" in text(response)
    assert len(fake_stripe.sessions) == 1  # created at Stripe, never shown to the trainee
    order = Order.objects.get(trainee=trainee)
    assert order.status == "pending"
    assert seats_left_shown(client, module_1) == "39 of 40"
    return order


def test_an_order_whose_card_payment_was_not_started_is_paid_on_a_new_checkout_page(
    postgres,
    before_season,
    client,
    make_trainee,
    fake_stripe,
    connection_dropped_starting_card_payment,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    trainee = make_trainee()
    client.force_login(trainee)
    module_1 = session_of("module-1", 6)
    order = card_payment_not_started(
        client, django_capture_on_commit_callbacks, fake_stripe, trainee, module_1
    )

    before_season.shift(timedelta(minutes=2))  # the trainee reads the page, then pays
    assert "Pay by card" in text(client.get(order.get_absolute_url()))
    response = client.post(f"/orders/{order.code}/pay/")

    order.refresh_from_db()
    assert response.status_code == 302
    assert response.url == fake_stripe.sessions[order.stripe_checkout_session_id]["url"]
    assert len(fake_stripe.sessions) == 2  # the first one's address was never shown
    pay(client, fake_stripe, django_capture_on_commit_callbacks, order)
    assert order.status == "paid"
    assert "Paid" in text(client.get(order.get_absolute_url()))
    assert Enrolment.objects.get(trainee=trainee).status == "confirmed"
    assert seats_left_shown(client, module_1) == "39 of 40"
    assert [message.subject for message in mailoutbox] == [
        f"Your registration is confirmed ({order.code})"
    ]


def test_an_order_whose_card_payment_was_not_started_goes_back_to_the_cart_at_once(
    postgres,
    client,
    make_trainee,
    fake_stripe,
    connection_dropped_starting_card_payment,
    django_capture_on_commit_callbacks,
):
    trainee = make_trainee()
    client.force_login(trainee)
    module_1 = session_of("module-1", 6)
    order = card_payment_not_started(
        client, django_capture_on_commit_callbacks, fake_stripe, trainee, module_1
    )

    assert "Back to the cart" in text(client.get(order.get_absolute_url()))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/orders/{order.code}/cart/", follow=True)

    assert response.status_code == 200
    assert module_1.offering.display_title in text(response)
    assert f"Order {order.code} is cancelled" in text(response)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert seats_left_shown(client, module_1) == "40 of 40"
    assert module_1.offering.display_title in text(cart_page(client))


def test_a_connection_dropped_outside_a_transaction_is_replaced_for_the_next_request(
    postgres, client, make_trainee, monkeypatch
):

    trainee = make_trainee()
    client.force_login(trainee)
    drop_the_connection_before(monkeypatch, views, "my_trainings_of")

    assert client.get("/my/").status_code == 503
    again = client.get("/my/")

    assert again.status_code == 200
    assert "My trainings" in text(again)
