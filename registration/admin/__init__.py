"""Registration in Django admin, one module per area: orders, rosters, waitlists, gated offerings,
closed accounts."""

from . import accounts, gated, orders, roster, waitlist  # noqa: F401
