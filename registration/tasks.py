"""Celery tasks for registration: thin wrappers that take primary keys and call services."""

from datetime import timedelta

import stripe
from celery import shared_task
from django.utils import timezone

from .services import attendance, emails, flood, interest, orders, payments, waitlist


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=8,
    default_retry_delay=30,
)
def email_send(self, email_id: int) -> bool:
    """Send one outbox email; retried with backoff, and never sent twice."""
    try:
        return emails.email_send(email_id=email_id)
    except Exception as error:
        emails.email_failed(email_id=email_id, error=repr(error))
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 3600)) from error


@shared_task(bind=True, acks_late=True, max_retries=5)
def checkout_close(self, checkout_session_id: str) -> bool:
    """Expire a cancelled order's Checkout Session; retried while Stripe can't be reached."""
    try:
        return payments.checkout_close(checkout_session_id=checkout_session_id)
    except stripe.StripeError as error:
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 3600)) from error


@shared_task
def outbox_sweep() -> int:
    """Queue again every email not sent a minute after it was recorded (e.g. Redis was down)."""
    pending = emails.emails_unsent(older_than=timezone.now() - timedelta(minutes=1))
    for email_id in pending:
        email_send.delay(email_id)
    return len(pending)


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
def roster_email_send(
    session_id: int, enrolment_ids: list[int], subject: str, message: str, key: str
) -> int:
    """Send the coordinator's message to the chosen trainees of a roster, one email each.

    Not retried: a retry could send some trainees the message twice; the key makes a
    redelivered task send nothing.
    """
    return attendance.roster_email(
        session_id=session_id,
        enrolment_ids=enrolment_ids,
        subject=subject,
        message=message,
        key=key,
    )


@shared_task
def interest_notify() -> int:
    """Email the interest lists about newly published sessions, once per subscriber each."""
    return interest.interest_notify_published(now=timezone.now())
