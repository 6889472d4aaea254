"""System checks (`manage.py check`) for settings that work on a developer's machine and fail
quietly in production: Stripe payments whose webhooks can't be verified, and links that
point at the default local address."""

from django.conf import settings
from django.core.checks import Warning

STRIPE_WITHOUT_WEBHOOK_SECRET = "polaris.W001"
SITE_URL_DEFAULT_IN_PRODUCTION = "polaris.W002"


def check_stripe(app_configs=None, **kwargs) -> list[Warning]:
    if settings.STRIPE_SECRET_KEY and not settings.STRIPE_WEBHOOK_SECRET:
        return [
            Warning(
                "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is empty: every webhook "
                "from Stripe is refused, so a card payment whose buyer closes the browser "
                "before returning to the site is never recorded, and refunds made in Stripe "
                "are not seen.",
                hint="Set STRIPE_WEBHOOK_SECRET to the signing secret of the /stripe/webhook/ "
                "endpoint (Stripe Dashboard → Developers → Webhooks).",
                id=STRIPE_WITHOUT_WEBHOOK_SECRET,
            )
        ]
    return []


def check_site_url(app_configs=None, **kwargs) -> list[Warning]:
    if not settings.DEBUG and settings.SITE_URL == settings.SITE_URL_DEFAULT:
        return [
            Warning(
                f"SITE_URL is left at its default ({settings.SITE_URL_DEFAULT}) with DEBUG=0: "
                "links in emails and the certificates' QR codes would point at this machine.",
                hint="Set SITE_URL to the site's public address, e.g. "
                "https://trainings.example.org.",
                id=SITE_URL_DEFAULT_IN_PRODUCTION,
            )
        ]
    return []
