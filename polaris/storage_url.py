"""STORAGE_URL, read into the STORAGES entry of the site's files (no Django import: settings
use it).

    (unset)                                   the database (polaris.storage.DatabaseStorage)
    s3://bucket                               AWS S3, credentials from the environment
    s3://KEY:SECRET@bucket/prefix?endpoint=https://s3.example.com&region=eu-west-1
                                              any S3-compatible service (MinIO, R2, Spaces…)
"""

from urllib.parse import parse_qs, unquote, urlsplit

from botocore.config import Config

DATABASE = {"BACKEND": "polaris.storage.DatabaseStorage"}
S3 = "storages.backends.s3.S3Storage"
OPTIONS = {"endpoint": "endpoint_url", "region": "region_name"}

# A certificate is read from storage while its trainee waits: a bucket that stops answering
# fails the download within seconds (and a gunicorn worker is free again), rather than after
# botocore's default 60-second timeouts and retries.
CONNECT_SECONDS = 2
READ_SECONDS = 5
ATTEMPTS = 2


class StorageURLError(ValueError):
    """STORAGE_URL can't be read; the message says what to write instead."""


def storage_from_url(url: str) -> dict:
    """The STORAGES["default"] entry for STORAGE_URL (the database when it is empty)."""
    if not url:
        return DATABASE
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise StorageURLError(
            f"STORAGE_URL must start with s3:// (S3-compatible storage), not {parts.scheme}://; "
            "leave it unset to keep files in the database."
        )
    if not parts.hostname:
        raise StorageURLError("STORAGE_URL names no bucket: s3://bucket?endpoint=https://…")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(OPTIONS))
    if unknown:
        raise StorageURLError(
            f"STORAGE_URL has unknown options {', '.join(unknown)} (known: {', '.join(OPTIONS)})."
        )
    # urlsplit lower-cases the host; a bucket name is lower-case anyway (S3's rule).
    options = {
        "bucket_name": parts.hostname,
        "location": parts.path.strip("/"),
        # Certificates and signatures are private: links to them are signed and expire, and
        # a name is never overwritten (a second file under a taken name gets its own).
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        # Version 4 signatures (what AWS and every S3-compatible service take today) and
        # bounded waits. This replaces the config django-storages would build.
        "client_config": Config(
            signature_version="s3v4",
            connect_timeout=CONNECT_SECONDS,
            read_timeout=READ_SECONDS,
            retries={"max_attempts": ATTEMPTS, "mode": "standard"},
        ),
    }
    for key, option in OPTIONS.items():
        if query.get(key, [""])[-1]:
            options[option] = query[key][-1]
    if parts.username:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    return {"BACKEND": S3, "OPTIONS": options}
