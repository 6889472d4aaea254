"""Django's Redis cache, keeping one redis client per connection pool, and serving pages from
the database rather than failing or waiting while Redis is unreachable or hung.
"""

import logging
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)

_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# Without timeouts a Redis that stops answering (rather than refusing) would hang requests.
_SOCKET_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
# Once a call has timed out, the next ones don't wait on Redis again for this long: a page
# makes several cache calls, and each would otherwise cost the whole timeout.
UNANSWERED_PAUSE_SECONDS = 5.0


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
    """While Redis is unreachable, behaves as Django's DummyCache: every read is a miss and
    every write is dropped, so callers fall back to the database (and rate limits let
    requests through) instead of answering 500. After a call timed out (Redis hung), calls
    are misses at once for UNANSWERED_PAUSE_SECONDS."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient
        self._options = {**_SOCKET_OPTIONS, **self._options}
        self._unanswered_until = 0.0

    def _degrading(self, operation: str, fallback, *args):
        if time.monotonic() < self._unanswered_until:
            return fallback
        try:
            return getattr(super(), operation)(*args)
        except _UNREACHABLE as error:
            if isinstance(error, redis.exceptions.TimeoutError):
                self._unanswered_until = time.monotonic() + UNANSWERED_PAUSE_SECONDS
            logger.warning("Redis cache unreachable, %s treated as a miss: %s", operation, error)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._degrading("add", True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._degrading("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._degrading("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._degrading("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._degrading("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._degrading("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._degrading("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        value = self._degrading("incr", None, key, delta, version)
        if value is None:  # unreachable: as if the key were missing
            raise ValueError(f"Key '{key}' not found")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._degrading("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._degrading("delete_many", None, keys, version)

    def clear(self):
        return self._degrading("clear", False)
