"""One version number for everything the public catalog shows, and the visitors' page cache.

Any change to catalog data (or to seats taken) bumps the version; a cached page stored
under an older version is never served, so an edit is visible on the next request in
every process.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

VERSION_KEY = "catalog:version"


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def catalog_changed() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, 2, timeout=None)


def _page_key(path: str) -> str:
    return f"catalog:page:{path}"


def cached_page(path: str) -> tuple[HttpResponse | None, int]:
    """The page cached for `path` if still current, and the current version (one round trip)."""
    key = _page_key(path)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return None, catalog_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1], version
    return None, version


def cache_page(path: str, response: HttpResponse, *, version: int) -> None:
    cache.set(_page_key(path), (version, response), settings.CATALOG_CACHE_SECONDS)
