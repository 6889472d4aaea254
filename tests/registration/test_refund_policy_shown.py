"""The refund and cancellation policy where a trainee decides and keeps the record: the cart
(next to "Place order"), the order awaiting payment, and the confirmation email."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalog.models import SiteSettings
from registration.services.orders import order_mark_paid_offline

from .flows import add_to_cart, register, session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

POLICY = (
    "Refund and cancellation policy "
    "Cancel up to 10 days before your session for a refund of tuition and CE fees. "
    "The administrative fee is not refundable. "
    "After that date there is no refund, but you may move to another date of the same "
    "training while seats are free. "
    "If we cancel a session, you choose another date or receive a full refund, administrative "
    "fee included."
)


@pytest.fixture(autouse=True)
def ten_days(catalog):
    SiteSettings.objects.update(refund_deadline_days=10)
    cache.delete(SiteSettings.CACHE_KEY)


def test_the_cart_shows_the_policy_before_the_order_is_placed(signed_in):
    add_to_cart(signed_in, session_of("module-1", 6))

    page = text(signed_in.get("/cart/"))

    assert POLICY in page
    assert page.index("Place order") < page.index("Refund and cancellation policy")


def test_an_order_awaiting_payment_shows_the_policy(signed_in, django_capture_on_commit_callbacks):
    order = register(
        signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6), method="offline"
    )

    assert POLICY in text(signed_in.get(order.get_absolute_url()))


def test_the_confirmation_email_states_the_policy(
    signed_in, mailoutbox, django_capture_on_commit_callbacks
):
    order = register(
        signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6), method="offline"
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid_offline(order=order, by=None, now=timezone.now())

    (email,) = mailoutbox
    assert " ".join(POLICY.split()) in " ".join(email.body.split())
