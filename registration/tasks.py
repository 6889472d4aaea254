"""Celery tasks for registration: thin wrappers that take primary keys and call services."""

import logging

import stripe
from celery import shared_task
from django.utils import timezone

from .services import emails, flood, interest, orders, payments, sign_in_sheets, waitlist

logger = logging.getLogger(__name__)

# A task waiting for its countdown is held by a worker, unacknowledged: past the broker's
# visibility timeout, Redis would hand a copy to another worker too.
COUNTDOWN_LONGEST = 120


@shared_task(acks_late=True, reject_on_worker_lost=True)
def email_send(key: str) -> bool:
    """Send one outbox email, once. A failure is recorded on the row, whose next attempt the
    sweep queues (the outbox's one retry policy); a worker that dies mid-task hands the task
    back to the broker."""
    try:
        return emails.email_send(key=key)
    except Exception as error:
        logger.warning("Email %s not sent: %r", key, error)
        emails.email_failed(key=key, error=error, now=timezone.now())
        return False


@shared_task(bind=True, acks_late=True, max_retries=8)
def checkout_close(self, checkout_session_id: str) -> bool:
    """Expire a cancelled order's Checkout Session; retried while Stripe can't be reached."""
    try:
        return payments.checkout_close(checkout_session_id=checkout_session_id)
    except stripe.StripeError as error:
        countdown = min(30 * 2**self.request.retries, COUNTDOWN_LONGEST)
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task
def outbox_sweep() -> int:
    """Queue the emails whose next attempt is due, and those whose task was lost."""
    return emails.emails_requeue(now=timezone.now())


@shared_task
def address_emails_prune() -> int:
    """Forget the addresses typed into forms once their day's limit is over."""
    return flood.address_emails_prune(now=timezone.now())


@shared_task
def holds_expire() -> int:
    """Release the seats of unpaid orders whose hold has passed, and pass on stale offers."""
    now = timezone.now()
    expired = sum(
        orders.order_expire(order_id=pk, now=now) for pk in orders.orders_due_to_expire(now=now)
    )
    return expired + waitlist.waitlist_offers_expire(now=now)


@shared_task
def interest_notify() -> int:
    """Email the interest lists about newly published sessions, once per subscriber each."""
    return interest.interest_notify_published(now=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sign_in_sheet_render(sheet_id: int) -> bool:
    """Render a sign-in sheet the coordinator asked for; nothing when it is done already."""
    return sign_in_sheets.sign_in_sheet_render(sheet_id=sheet_id, now=timezone.now())


@shared_task
def sign_in_sheets_prune() -> int:
    """Delete the sign-in sheets kept past their time, with their files."""
    return sign_in_sheets.sign_in_sheets_prune(now=timezone.now())
