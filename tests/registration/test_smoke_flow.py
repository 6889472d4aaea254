"""A trainee goes from the catalog to a paid order, through the fake Stripe."""

import pytest

from catalog.models import Session
from registration.models import Enrolment, Order

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


def test_cart_to_paid_order_through_stripe(
    signed_in, trainee, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    module_1 = Session.objects.get(offering__slug="module-1", starts_at__month=6)
    assert signed_in.post("/cart/add/", {"session": module_1.pk}).status_code == 302
    item = trainee.cart_items.get()
    signed_in.post(f"/cart/items/{item.pk}/ce/", {f"item{item.pk}-credit_type": "apa"})
    page = signed_in.get("/cart/").content.decode()
    assert "$429" in page, page
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post("/cart/checkout/", {"payment_method": "stripe"})
    assert response.status_code == 302 and response["Location"].startswith(fake_stripe.url)
    order = Order.objects.get(trainee=trainee)
    assert order.total_cents == 42900 and order.status == "pending"
    fake_stripe.complete(order.stripe_checkout_session_id)
    event = fake_stripe.event(
        "checkout.session.completed", fake_stripe.sessions[order.stripe_checkout_session_id]
    )
    payload, header = fake_stripe.signed(event)
    with django_capture_on_commit_callbacks(execute=True):
        reply = signed_in.post(
            "/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
    assert reply.status_code == 200, reply.content
    order.refresh_from_db()
    assert order.status == "paid"
    assert Enrolment.objects.get(order_line__order=order).status == "confirmed"
    assert len(mailoutbox) == 1 and order.code in mailoutbox[0].subject
    assert mailoutbox[0].attachments[0][0].endswith(".ics")
