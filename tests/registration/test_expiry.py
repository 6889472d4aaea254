"""Seat holds end: the beat task releases unpaid orders, and availability ignores lapsed holds
even before it runs."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from registration.models import Enrolment, Order
from registration.tasks import holds_expire

from .flows import add_to_cart, cart_page, place_order, register, seats_left_shown, session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


@pytest.fixture
def last_seat():
    module_1 = session_of("module-1", 6)
    module_1.capacity = 1
    module_1.save(update_fields=["capacity"])
    return module_1


def test_holds_expire_releases_an_unpaid_orders_seats_after_its_hold(
    signed_in, trainee, fake_stripe, before_season, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    order = register(signed_in, django_capture_on_commit_callbacks, module_1)

    before_season.move_to(order.expires_at + timedelta(seconds=1))
    holds_expire.delay()

    order.refresh_from_db()
    assert (order.status, order.closed_at) == ("expired", timezone.now())
    assert Enrolment.objects.get(order_line__order=order).status == "expired"
    signed_in.force_login(trainee)
    assert seats_left_shown(signed_in, module_1) == "40 of 40"
    page = text(signed_in.get("/my/"))
    assert f"Order {order.code} Expired" in page and "Hold expired" in page


def test_holds_expire_leaves_orders_whose_hold_has_not_passed(
    signed_in, fake_stripe, before_season, django_capture_on_commit_callbacks
):
    order = register(signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6))

    before_season.move_to(order.expires_at - timedelta(seconds=1))
    holds_expire.delay()

    order.refresh_from_db()
    assert order.status == "pending"


def test_a_lapsed_hold_frees_the_seat_before_the_task_runs(
    client, make_trainee, last_seat, before_season, django_capture_on_commit_callbacks
):
    first, second = make_trainee(), make_trainee()
    client.force_login(first)
    lapsed = register(client, django_capture_on_commit_callbacks, last_seat, method="offline")
    assert seats_left_shown(client, last_seat) == "Full"

    before_season.move_to(lapsed.expires_at + timedelta(minutes=1))
    other = Client()
    other.force_login(second)

    assert seats_left_shown(other, last_seat) == "1 of 1"
    add_to_cart(other, last_seat)
    assert "Cannot register" not in text(cart_page(other))
    place_order(other, django_capture_on_commit_callbacks, "offline")
    assert Order.objects.get(trainee=second).status == "pending"
    assert seats_left_shown(other, last_seat) == "Full"

    holds_expire.delay()

    lapsed.refresh_from_db()
    assert lapsed.status == "expired"
    assert Order.objects.get(trainee=second).status == "pending"
    assert seats_left_shown(other, last_seat) == "Full"


def test_the_trainee_may_order_again_once_their_own_hold_lapsed(
    signed_in, trainee, last_seat, before_season, django_capture_on_commit_callbacks
):
    lapsed = register(signed_in, django_capture_on_commit_callbacks, last_seat, method="offline")
    before_season.move_to(lapsed.expires_at + timedelta(minutes=1))
    signed_in.force_login(trainee)

    again = register(signed_in, django_capture_on_commit_callbacks, last_seat, method="offline")

    assert again.status == "pending" and again != lapsed
