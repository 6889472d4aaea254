"""Celery tasks for certificates: thin wrappers that take primary keys and call services."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


def backoff_seconds(retries: int) -> int:
    """30 s, 1 min, 2 min, 4 min, 8 min: a mail server or a busy worker gets time to recover."""
    return min(30 * 2**retries, 3600)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def certificate_deliver(self, certificate_id: int) -> bool:
    """Render the certificate's PDF, then email it; both steps happen once per version, so a
    retry, a duplicate or a redelivery after the worker died does no harm. Failures are
    retried with backoff; the last one marks the delivery failed, with its reason."""
    try:
        return services.certificate_deliver(certificate_id=certificate_id)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        if self.request.retries >= self.max_retries:
            logger.exception("Delivery of certificate %s failed for good", certificate_id)
            services.certificate_failed(certificate_id=certificate_id, error=reason)
            return False
        services.certificate_delivery_error(certificate_id=certificate_id, error=reason)
        raise self.retry(exc=error, countdown=backoff_seconds(self.request.retries)) from error
