"""Django's Redis cache, keeping one redis client per connection pool; while Redis is
unreachable or hung, pages come from the database and rate limits count in this process's
memory, and no request waits on Redis more than once in a few seconds.
"""

import logging
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

from . import ratelimit

logger = logging.getLogger(__name__)

_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# Without timeouts a Redis that stops answering (rather than refusing) would hang requests.
_SOCKET_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
# After a failure (refused, or timed out because Redis is hung), Redis is left alone this
# long: a page makes several cache calls, and each would otherwise cost the whole timeout;
# a hung Redis then costs one timeout per process every few seconds.
RETRY_AFTER_SECONDS = 5

# Keys that must keep counting while Redis is down: allauth's rate limits (and the locks
# around them), allauth's record of TOTP codes already used, and polaris.ratelimit's
# counters. A limit per process is weaker than a shared one, and far better than none.
# Every other key is a miss, so that no process serves a page another one has changed.
LOCAL_WHILE_DOWN = ("allauth:rl:", "allauth.mfa.totp.used", ratelimit.KEY_PREFIX)

_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


class _ReusingClient(RedisCacheClient):
    # Django's backend builds a new `redis.Redis` for every call; a client is thread-safe and
    # holds no state of its own, so building it once per pool saves that cost on every hit.
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """While Redis is unreachable, behaves as Django's DummyCache (every read a miss, every
    write dropped, so callers fall back to the database) except for the keys in
    LOCAL_WHILE_DOWN, which a local-memory cache of this process holds meanwhile."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient
        self._options = {**_SOCKET_OPTIONS, **self._options}
        self._location = str(server)
        # LocMemCache keeps its data per name, shared by the threads of the process; the key
        # prefix stays this cache's, so that tests with their own prefix share nothing.
        self._local = LocMemCache(
            f"polaris-while-redis-down:{self._location}",
            {"KEY_PREFIX": self.key_prefix, "VERSION": self.version, "OPTIONS": {}},
        )

    def _is_down(self) -> bool:
        return _down_until.get(self._location, 0.0) > time.monotonic()

    def _went_down(self, operation: str, error: Exception) -> None:
        with _down_lock:
            already = self._is_down()
            _down_until[self._location] = time.monotonic() + RETRY_AFTER_SECONDS
        if not already:
            logger.warning(
                "Redis cache unreachable during %s (%s): cache misses and local rate limits "
                "for %s s",
                operation,
                error,
                RETRY_AFTER_SECONDS,
            )

    def _without_redis(self, operation: str, miss, key, *args):
        if isinstance(key, str) and key.startswith(LOCAL_WHILE_DOWN):
            return getattr(self._local, operation)(key, *args)
        if operation == "incr":
            raise ValueError(f"Key '{key}' not found")
        return miss

    def _keyed(self, operation: str, miss, key, *args):
        if self._is_down():
            return self._without_redis(operation, miss, key, *args)
        try:
            return getattr(super(), operation)(key, *args)
        except _UNREACHABLE as error:
            self._went_down(operation, error)
            return self._without_redis(operation, miss, key, *args)

    def _unkeyed(self, operation: str, miss, *args):
        if self._is_down():
            return miss
        try:
            return getattr(super(), operation)(*args)
        except _UNREACHABLE as error:
            self._went_down(operation, error)
            return miss

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._keyed("add", True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._keyed("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._keyed("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._keyed("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._keyed("delete", False, key, version)

    def has_key(self, key, version=None):
        return self._keyed("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        return self._keyed("incr", None, key, delta, version)

    def get_many(self, keys, version=None):
        return self._unkeyed("get_many", {}, keys, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._unkeyed("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._unkeyed("delete_many", None, keys, version)

    def clear(self):
        return self._unkeyed("clear", False)

    # Pub/sub (catalog.cache follows the catalog's version this way): the channel is named
    # under this cache's key prefix, like a key.

    def publish(self, channel: str, message) -> None:
        """PUBLISH to CHANNEL, or nothing while Redis is unreachable."""
        if self._is_down():
            return
        try:
            self._cache.get_client(write=True).publish(self.make_key(channel), message)
        except _UNREACHABLE as error:
            self._went_down("publish", error)

    def subscribe(self, channel: str):
        """A new pub/sub connection subscribed to CHANNEL, the subscription confirmed by
        Redis; None while Redis is unreachable."""
        if self._is_down():
            return None
        pubsub = self._cache.get_client().pubsub()
        try:
            pubsub.subscribe(self.make_key(channel))
            confirmed = pubsub.get_message(timeout=_SOCKET_OPTIONS["socket_timeout"])
            if confirmed is None or confirmed["type"] != "subscribe":
                raise redis.exceptions.TimeoutError("no subscription confirmed")
        except _UNREACHABLE as error:
            pubsub.close()
            self._went_down("subscribe", error)
            return None
        return pubsub
