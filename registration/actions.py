"""What registration writes to the audit log (`audit`), and how each entry reads.

Entries keep values, not sentences: amounts in cents, moments as ISO datetimes, choices as
their codes, sessions as the label they had when it happened. They are put into words
when read, in Pacific time and dollars.
"""

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from audit.registry import action_register
from catalog.formatting import PACIFIC, choice_label, format_cents

from .evidence import duration_text, reasons_text
from .models import Enrolment, Order, Refund


def _moment(value: str | None) -> str:
    moment = parse_datetime(value) if value else None
    return moment.astimezone(PACIFIC).strftime("%b %-d, %-I:%M %p") if moment else "—"


def shown(data: dict[str, Any]) -> dict[str, Any]:
    """Values as people read them: `*_cents` in dollars, `*_at` in Pacific time, lists
    joined."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key.endswith("_cents"):
            values[key] = format_cents(value)
        elif key.endswith("_at"):
            values[key] = _moment(value)
        elif isinstance(value, list):
            values[key] = ", ".join(str(item) for item in value)
        else:
            values[key] = value
    return values


def when(moment: datetime | None) -> str | None:
    """A moment as an entry keeps it."""
    return moment.isoformat() if moment else None


def _order_method(data: dict[str, Any]) -> dict[str, Any]:
    return {**shown(data), "method": choice_label(Order.Method, data["method"])}


def _refund(data: dict[str, Any]) -> dict[str, Any]:
    return {**shown(data), "status": choice_label(Refund.Status, data["status"])}


def _attendance(data: dict[str, Any]) -> dict[str, Any]:
    label = choice_label(Enrolment.Attendance, data["attendance"]).lower()
    return {**shown(data), "attendance": label}


def _zoom(data: dict[str, Any]) -> dict[str, Any]:
    return {**shown(data), "connected": duration_text(data["connected_minutes"])}


def _flags(data: dict[str, Any]) -> dict[str, Any]:
    return {**shown(data), "flags": reasons_text(data["flags"])}


ACTIONS = {
    "registration.order.placed": (
        _("Order placed for %(total_cents)s, to be paid by %(method)s."),
        _order_method,
    ),
    "registration.order.registered_by_staff": (
        _("Registered by staff for %(session)s at %(price_cents)s (%(method)s)."),
        _order_method,
    ),
    "registration.order.checkout_started": (_("Card payment started."), shown),
    "registration.order.paid": (
        _("Payment of %(amount_cents)s received (%(method)s)."),
        _order_method,
    ),
    "registration.order.flagged": (_("%(reason)s"), shown),
    "registration.order.expired": (_("Seat hold expired."), shown),
    "registration.order.cancelled": (_("%(reason)s"), shown),
    "registration.order.cancelled_by_staff": (
        _("Cancelled %(sessions)s; nothing refunded. Reason: %(reason)s"),
        shown,
    ),
    "registration.order.refunded": (
        _("%(amount_cents)s refunded (%(status)s): %(reason)s"),
        _refund,
    ),
    "registration.order.refunded_in_stripe": (
        _("%(amount_cents)s refunded in the Stripe dashboard."),
        shown,
    ),
    "registration.account.closed": (
        _(
            "The trainee closed their account. This order and its registrations, "
            "certificates and evaluations are kept."
        ),
        shown,
    ),
    "registration.enrolment.cancelled": (
        _("%(session)s cancelled; %(refunded_cents)s refunded."),
        shown,
    ),
    "registration.enrolment.transferred": (_("Transferred from %(old)s to %(new)s."), shown),
    "registration.attendance.marked": (_("Marked %(attendance)s for %(session)s."), _attendance),
    "registration.attendance.override": (
        _("Counted attended in full for %(session)s despite: %(flags)s. Reason: %(reason)s"),
        _flags,
    ),
    "registration.attendance.partial": (
        _("Attendance now partial for %(session)s: %(flags)s."),
        _flags,
    ),
    "registration.attendance.times": (
        _("Sign-in %(signed_in_at)s, sign-out %(signed_out_at)s (PT) for %(session)s."),
        shown,
    ),
    "registration.attendance.zoom": (
        _(
            "Sign-in %(signed_in_at)s, sign-out %(signed_out_at)s (PT), %(connected)s "
            "connected, imported from Zoom."
        ),
        _zoom,
    ),
    # What orders' logs said before entries kept values: the sentence as written then.
    "registration.earlier": (_("%(message)s"), shown),
}


def actions_register() -> None:
    for code, (template, values) in ACTIONS.items():
        action_register(code, template, values=values)
