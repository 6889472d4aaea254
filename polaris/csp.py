"""django-csp's middleware, also letting forms lead to the Stripe that STRIPE_API_BASE names."""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings


class CSPMiddleware(BaseCSPMiddleware):
    """Chromium checks the redirect that follows a form's POST against form-action, and
    "Place order" redirects to the Checkout page of whichever Stripe the app talks to: the
    settings allow Stripe's own, this adds the one STRIPE_API_BASE points at (a local fake in
    tests, which set it per test, hence per request rather than in the settings)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        base = urlsplit(settings.STRIPE_API_BASE)
        if base.scheme in ("http", "https") and base.netloc:
            update = dict(parts.update or {})
            origin = f"{base.scheme}://{base.netloc}"
            update["form-action"] = [*update.get("form-action", ()), origin]
            parts.update = update
        return parts
