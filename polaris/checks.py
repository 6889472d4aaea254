"""System checks (`manage.py check`) for settings that work on a developer's machine and fail
quietly in production: Stripe payments whose webhooks can't be verified, links that point at
the default local address, rate limits that see every visitor as the proxy, and state that
stays on one machine when the site runs on several (README, "Scaling out")."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Warning, register
from django.core.files.storage import FileSystemStorage, storages

STRIPE_WITHOUT_WEBHOOK_SECRET = "polaris.W001"
SITE_URL_DEFAULT_IN_PRODUCTION = "polaris.W002"
HTTPS_WITHOUT_TRUSTED_PROXIES = "polaris.W003"
SECRET_KEY_OF_THIS_HOST = "polaris.W004"
CACHE_AND_QUEUE_OF_THIS_HOST = "polaris.W005"
MEDIA_ROOT_NOT_IMPORTED = "polaris.W006"


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


def _shared_database() -> bool:
    """A database server (PostgreSQL), which several hosts may share; SQLite is one machine's."""
    return "sqlite" not in settings.DATABASES["default"]["ENGINE"]


@register
def check_secret_key(app_configs=None, **kwargs) -> list[Warning]:
    """Without SECRET_KEY, each machine generates its own under var/: a session, a CSRF token
    or an emailed link signed on one host is refused by another."""
    generated = Path(settings.VAR_DIR) / "secret_key"
    if settings.DEBUG or not _shared_database() or not generated.exists():
        return []
    if generated.read_text().strip() != settings.SECRET_KEY:
        return []
    return [
        Warning(
            f"SECRET_KEY is not set: this host signs with a key of its own ({generated}). "
            "Signed-in visitors are signed out, and links in emails refused, whenever a request "
            "reaches another host.",
            hint="Set SECRET_KEY to the same long random value on every web and worker host.",
            id=SECRET_KEY_OF_THIS_HOST,
        )
    ]


@register
def check_cache_and_queue(app_configs=None, **kwargs) -> list[Warning]:
    """Without REDIS_URL the cache and Celery's queue are files under this host's var/."""
    if settings.DEBUG or not _shared_database() or settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set while the database is a server: the cache and the task queue "
            "are files on this host. Tasks queued here (emails, certificates) are run only by "
            "a worker on this host, and rate limits and catalog edits are seen by this host "
            "alone.",
            hint="Set REDIS_URL (redis://host:6379/0) to the same Redis on every host.",
            id=CACHE_AND_QUEUE_OF_THIS_HOST,
        )
    ]


@register
def check_media_root(app_configs=None, **kwargs) -> list[Warning]:
    """Files written under MEDIA_ROOT before the site kept them in shared storage are not found
    by the rows that name them until media_import moves them there."""
    root = Path(settings.MEDIA_ROOT)
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage) or not root.is_dir():
        return []
    count = sum(1 for path in root.rglob("*") if path.is_file())
    if not count:
        return []
    return [
        Warning(
            f"MEDIA_ROOT ({root}) holds {count} files, but the site reads its files from "
            f"{type(storage).__name__}: certificates and signatures stored "
            "there before are not found.",
            hint="Run `manage.py media_import` once (it moves them, under the same names).",
            id=MEDIA_ROOT_NOT_IMPORTED,
        )
    ]
