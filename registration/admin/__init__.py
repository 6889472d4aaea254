"""Registration in Django admin, one module per area: orders, rosters, waitlists."""

from . import orders, roster, waitlist  # noqa: F401
