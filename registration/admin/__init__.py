"""Registration in Django admin, one module per area: orders, rosters, waitlists, gated offerings,
closed accounts, the outbox."""

from . import accounts, gated, orders, outbox, roster, sessions, waitlist  # noqa: F401
