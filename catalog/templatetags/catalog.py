"""Template filters for money and session times."""

from decimal import Decimal

from django import template

from catalog.formatting import format_cents, format_session_date, format_session_when

register = template.Library()


@register.filter
def money(cents: int | None) -> str:
    return format_cents(cents)


@register.filter
def session_when(session) -> str:
    return format_session_when(session.starts_at, session.ends_at)


@register.filter
def session_date(session) -> str:
    return format_session_date(session.starts_at)


@register.filter
def credits(value) -> str:
    """8.0 → "8", 1.5 → "1.5", 10 → "10"."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")
