"""One version number for everything the public catalog shows.

Any change to catalog data (or to seats taken) bumps the version; a page cached under an
older version is never served (catalog.middleware), so an edit is visible on the next
request in every process.
"""

import time

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalog:version"


def _fresh_version() -> int:
    # Never one handed out before, even after the cache was emptied (Redis restarted or
    # flushed): a process's local copy of a page, kept under an old number, can't match it.
    return time.time_ns() // 1000


def catalog_version() -> int | None:
    """The current version, starting one if there is none; None while the cache is down."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def catalog_changed() -> None:
    """Bump the version now, and again when the transaction commits: a visitor's page
    rendered in between, from the rows as they were before the commit, is then not kept
    under the current version."""
    _bump()
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
