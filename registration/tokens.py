"""Signed tokens for the links registration emails: a waitlist offer's "Take the seat" link.

Below the services, so that the outbox (which writes the link) and the waitlist (which reads
it) both import it without importing each other.
"""

from django.core import signing

OFFER_LINK_SALT = "registration.waitlist.offer_link"


def waitlist_offer_token(*, entry) -> str:
    """The token of the offer's link: the entry and the seat held for it, signed."""
    return signing.dumps([entry.pk, entry.hold_id], salt=OFFER_LINK_SALT, compress=True)


def waitlist_offer_token_read(token: str) -> tuple[int, int] | None:
    """The (entry, hold) primary keys a token names; None when it is forged or damaged."""
    try:
        entry_id, hold_id = signing.loads(token, salt=OFFER_LINK_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return entry_id, hold_id
