"""One audit log for every app: entries keep an action code and values, and are put into
words (dollars, Pacific time, the reader's language) only when someone reads them."""

import pytest
from django.urls import reverse

from audit.models import LogEntry
from audit.registry import action_text
from audit.services import log_action, log_entries
from registration.services.payments import order_refund_by_staff

from .flows import paid_order, session_of, text


def test_an_entry_keeps_values_and_reads_in_dollars_on_the_order_page(
    admin_client, admin_user, make_trainee
):
    order = paid_order(make_trainee(), session_of("module-1", 6))
    order_refund_by_staff(
        order=order, amount_cents=2550, reason="Goodwill", by=admin_user, refunded_cents_seen=0
    )

    placed, paid, refunded = log_entries(order)
    assert (placed.action, placed.data) == (
        "registration.order.placed",
        {"total_cents": order.total_cents, "method": "offline"},
    )
    assert paid.action == "registration.order.paid"
    assert refunded.data == {"amount_cents": 2550, "status": "due", "reason": "Goodwill"}
    assert refunded.actor == admin_user

    page = text(admin_client.get(reverse("admin:registration_order_change", args=[order.pk])))
    assert "Order placed for $350, to be paid by Invoice or check." in page
    assert "Payment of $350 received (Invoice or check)." in page
    assert "$25.50 refunded (To be paid back by the center): Goodwill" in page


def test_a_moment_reads_in_pacific_time():
    assert action_text(
        "registration.attendance.times",
        {
            "session": "Module 1",
            "signed_in_at": "2027-06-21T16:20:00+00:00",
            "signed_out_at": None,
        },
    ) == ("Sign-in Jun 21, 9:20 AM, sign-out — (PT) for Module 1.")


def test_an_unknown_action_is_refused_when_written(make_trainee):
    order = paid_order(make_trainee(), session_of("module-1", 6))
    with pytest.raises(ValueError, match=r"registration\.order\.teleported"):
        log_action(order, "registration.order.teleported")
    assert not log_entries(order).filter(action="registration.order.teleported").exists()


def test_an_entry_whose_values_no_longer_fit_its_words_still_reads(make_trainee):
    order = paid_order(make_trainee(), session_of("module-1", 6))
    entry = log_action(order, "registration.order.refunded", data={"amount_cents": 100})
    assert entry.text.startswith("registration.order.refunded")
    assert LogEntry.objects.get(pk=entry.pk).text == entry.text
