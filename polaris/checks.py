"""System checks (`manage.py check`) for settings that work on a developer's machine and fail
quietly in production: Stripe payments whose webhooks can't be verified, links that point at
the default local address, and rate limits that see every visitor as the proxy."""

from django.conf import settings
from django.core.checks import Warning, register

STRIPE_WITHOUT_WEBHOOK_SECRET = "polaris.W001"
SITE_URL_DEFAULT_IN_PRODUCTION = "polaris.W002"
HTTPS_WITHOUT_TRUSTED_PROXIES = "polaris.W003"


@register
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


@register
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


@register(deploy=True)
def trusted_proxies(app_configs, **kwargs) -> list[Warning]:
    """HTTPS=1 means a reverse proxy terminates TLS; without TRUSTED_PROXY_COUNT every visitor
    arrives from the proxy's address, and one visitor's rate limits stop everyone."""
    if settings.HTTPS and settings.TRUSTED_PROXY_COUNT == 0:
        return [
            Warning(
                "HTTPS=1 runs behind a reverse proxy, but TRUSTED_PROXY_COUNT is 0: every "
                "visitor shares the proxy's address in the rate limits.",
                hint="Set TRUSTED_PROXY_COUNT=1 (the number of proxies that append to "
                "X-Forwarded-For).",
                id=HTTPS_WITHOUT_TRUSTED_PROXIES,
            )
        ]
    return []
