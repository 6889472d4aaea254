"""The Stripe webhook: checkout and refund events, verified by their signature."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..services import payments


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: verified on the raw body, stored by id, acted on once."""
    if not payments.stripe_enabled() or not request.headers.get("Stripe-Signature"):
        return HttpResponseBadRequest("missing signature")
    try:
        outcome = payments.webhook_handle(
            payload=request.body, signature=request.headers["Stripe-Signature"]
        )
    except payments.WebhookRejected:
        return HttpResponseBadRequest("invalid signature")
    return HttpResponse(outcome, content_type="text/plain")
