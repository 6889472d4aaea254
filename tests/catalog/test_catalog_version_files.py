"""The embedded default (`make run`: the cache in files under var/, shared by the web and
worker processes) reads the catalog version only when its file was replaced: a visitor's
cached page costs a stat, and an edit made by another process still shows at once."""

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from catalog import cache as catalog_cache


@pytest.fixture
def file_cache(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    return tmp_path


@pytest.fixture
def reads(monkeypatch):
    """Every read of the file cache this process makes."""
    keys = []
    original = FileBasedCache.get

    def counted(self, key, *args, **kwargs):
        keys.append(key)
        return original(self, key, *args, **kwargs)

    monkeypatch.setattr(FileBasedCache, "get", counted)
    return keys


def test_a_warm_process_reads_no_file_until_another_process_bumps_the_version(file_cache, reads):
    first = catalog_cache.catalog_version()  # the first process starts the version's file
    assert catalog_cache.catalog_version() == first
    reads.clear()

    assert [catalog_cache.catalog_version() for _ in range(5)] == [first] * 5
    assert reads == []

    # The worker (another process, its own cache object over the same folder) takes a seat.
    worker = FileBasedCache(str(file_cache), {})
    bumped = worker.incr(catalog_cache.VERSION_KEY)
    reads.clear()  # the worker's own read

    assert catalog_cache.catalog_version() == bumped > first
    assert reads == [catalog_cache.VERSION_KEY]
    assert catalog_cache.catalog_version() == bumped
    assert reads == [catalog_cache.VERSION_KEY]


def test_this_process_sees_its_own_edit_at_once(db, file_cache):
    first = catalog_cache.catalog_version()
    catalog_cache.catalog_changed()
    assert catalog_cache.catalog_version() > first


def test_an_emptied_cache_starts_a_new_version_never_handed_out_before(file_cache):
    first = catalog_cache.catalog_version()
    for path in file_cache.iterdir():
        path.unlink()
    assert catalog_cache.catalog_version() > first
