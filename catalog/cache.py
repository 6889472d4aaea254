"""One version number for everything the public catalog shows.

Any change to catalog data (or to seats taken) bumps the version; a page cached under an
older version is never served (catalog.middleware), so an edit is visible on the next
request in every process.

With Redis as the cache, each process holds the version itself instead of reading it on
every request: a bump PUBLISHes the new version right after the INCR, so the message is in
every process's subscriber socket before the writer's response is sent, and a request only
polls that socket (a syscall, no round trip). The version is still read from Redis after
each (re)subscription, at least once a second, and on every request while the subscriber
connection is broken (resubscribing at most every few seconds).

With the embedded default's cache in files, a process re-reads the version only when its
file was replaced (one stat per request).
"""

from __future__ import annotations

import math
import os
import threading
import time

import redis
from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver

VERSION_KEY = "catalog:version"
CHANNEL = "catalog:version-changed"  # under the cache's key prefix
# Bounds the life of a missed message.
REREAD_SECONDS = 1.0
RESUBSCRIBE_SECONDS = 5.0


def _fresh_version() -> int:
    # Never one handed out before, even after the cache was emptied (Redis restarted or
    # flushed): a process's local copy of a page, kept under an old number, can't match it.
    return time.time_ns() // 1000


def catalog_version() -> int | None:
    """The current version, starting one if there is none; None while the cache is down."""
    follower = _follower()
    if follower is not None:
        return follower.version()
    return _read_version()


def _read_version() -> int | None:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def catalog_changed() -> None:
    """Bump the version now and, inside a transaction, again when it commits: a visitor's
    page rendered in between, from the rows as they were before the commit, is then not kept
    under the current version. Outside one, the change is already committed: once is all."""
    _bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    if version is not None and hasattr(cache, "publish"):
        cache.publish(CHANNEL, version)


class _Follower:
    """This process's copy of the version, kept current by the messages on CHANNEL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pubsub = None
        self._version: int | None = None
        self._read_at = 0.0  # when the version was last read from Redis
        self._subscribe_at = 0.0  # when to try (re)subscribing next

    def version(self) -> int | None:
        with self._lock:
            now = time.monotonic()
            if self._pubsub is None and now >= self._subscribe_at:
                self._pubsub = cache.subscribe(CHANNEL)
                if self._pubsub is None:
                    self._subscribe_at = now + RESUBSCRIBE_SECONDS
                self._read_at = -math.inf  # read it now the subscription is confirmed
            if self._pubsub is not None:
                self._poll()
            if (
                self._pubsub is None
                or self._version is None
                or now - self._read_at >= REREAD_SECONDS
            ):
                self._version = _read_version()
                self._read_at = now
            return self._version

    def close(self) -> None:
        with self._lock:
            if self._pubsub is not None:
                self._pubsub.close()
                self._pubsub = None

    def _poll(self) -> None:
        try:
            while (message := self._pubsub.get_message(timeout=0)) is not None:
                if message["type"] == "message":
                    published = int(message["data"])
                    # Two writers may publish out of order; versions only grow.
                    self._version = max(self._version or 0, published)
                elif message["type"] == "subscribe":
                    # redis-py reconnected and resubscribed: messages may have been missed.
                    self._read_at = -math.inf
        except (redis.exceptions.RedisError, OSError, ValueError):
            self._pubsub.close()
            self._pubsub = None
            self._subscribe_at = time.monotonic() + RESUBSCRIBE_SECONDS


class _FileFollower:
    """The embedded default's copy of the version (the cache in files under var/, shared by
    the web and worker processes): re-read only when the version's file was replaced, which
    every write does (a new file renamed over the old), so a stat replaces a read."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._path = path
        self._seen: tuple[int, int, int] | None = None
        self._version: int | None = None

    def version(self) -> int | None:
        with self._lock:
            try:
                stat = os.stat(self._path)
            except OSError:
                seen = None
            else:
                seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if seen is None or seen != self._seen or self._version is None:
                # Stat first, then read: a write in between is seen by the next request.
                self._version = _read_version()
                self._seen = seen
            return self._version

    def close(self) -> None:
        pass


_NOT_YET = object()
_current = _NOT_YET  # this process's follower, or None when the cache has neither


def _follower() -> _Follower | _FileFollower | None:
    global _current
    follower = _current
    if follower is _NOT_YET:
        if hasattr(cache, "subscribe"):
            follower = _Follower()
        elif isinstance(caches["default"], FileBasedCache):
            follower = _FileFollower(caches["default"]._key_to_file(VERSION_KEY))
        else:
            follower = None
        _current = follower
    return follower


def _forget() -> None:
    global _current
    _current = _NOT_YET


# A gunicorn worker forked from a master that had a follower opens its own connection.
os.register_at_fork(after_in_child=_forget)


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs) -> None:
    # Tests give each test its own cache key prefix; a server never changes it.
    if setting == "CACHES":
        follower = _current
        _forget()
        if follower is not None and follower is not _NOT_YET:
            follower.close()
