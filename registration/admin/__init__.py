"""Registration in Django admin, one module per area: orders, rosters, waitlists."""

from . import orders  # noqa: F401
