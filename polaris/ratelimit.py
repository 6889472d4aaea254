"""Who a request comes from, and counters that limit how often one client may do something.

The client's address is read the same way everywhere (allauth's sign-in limits included,
through the account adapter): behind TRUSTED_PROXY_COUNT proxies, the address the outermost
trusted proxy saw; otherwise the connection's own. Counters live in the shared cache under
KEY_PREFIX, which polaris.cache keeps counting in local memory while Redis is down.
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

KEY_PREFIX = "ratelimit:"


def _address(value: str) -> str | None:
    """The IP address written in `value` (some proxies add a port: "203.0.113.7:51234",
    "[2001:db8::1]:51234"), or None."""
    value = value.strip()
    candidates = [value]
    if value.startswith("["):
        candidates.append(value[1:].partition("]")[0])
    elif value.count(":") == 1:
        candidates.append(value.partition(":")[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent the request.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For,
    so the entry TRUSTED_PROXY_COUNT from the end is the one the outermost proxy saw; what a
    client wrote into the header itself comes before it and is never used. A header shorter
    than that holds only entries the proxies appended. With no proxy trusted, or no usable
    entry, the connection's own address.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded:
        entries = forwarded.split(",")
        found = _address(entries[-min(count, len(entries))])
        if found:
            return found
    return _address(peer) or peer


def rate_take(*, action: str, client: str, limit: int, period_seconds: int) -> bool:
    """Count one `action` by `client` in the current period; False once past `limit`."""
    window = int(time.time() // period_seconds)
    key = f"{KEY_PREFIX}{action}:{client}:{window}"
    if cache.add(key, 1, timeout=period_seconds + 60):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period_seconds + 60)
        return True
