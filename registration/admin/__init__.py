"""Registration in Django admin, one module per area: orders, rosters, waitlists, gated offerings."""

from . import gated, orders, roster, waitlist  # noqa: F401
