"""System checks for settings that look right alone and are wrong together."""

from django.conf import settings
from django.core.checks import Warning, register


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
                id="polaris.W001",
            )
        ]
    return []
