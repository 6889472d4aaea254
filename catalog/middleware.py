"""Catalog pages for visitors without a session, served before Django's middleware runs.

Every anonymous visitor gets the same bytes for a catalog page, so `VisitorPageCache`
(wrapped around the WSGI application by polaris/wsgi.py, as settings.WSGI_MIDDLEWARE says)
keeps the whole response as Django sent it (status, headers, CSP and all, body) and serves
it again without building a request, opening a session or running a middleware:

- only GETs without a query string, without a session or messages cookie, to a URL whose
  view is marked `cached_for_visitors`, on an allowed host (and over HTTPS when the site
  redirects to it); everything else goes to Django untouched;
- a page is served only under the current catalog version (catalog/cache.py: with Redis,
  each process follows it by pub/sub, without a round trip per request), so a catalog edit
  or a seat taken shows on the next request in every process; the page comes from this
  process's own copy (kept LOCAL_SECONDS at most) or else from the cache;
- only a response Django marked cacheable (an anonymous 200 that set no cookie) is kept;
- each page carries an ETag and `Cache-Control: no-cache`: a browser revalidates and
  gets a 304 while the page is unchanged;
- a browser that accepts gzip gets the page gzipped (compressed once, when kept). These
  pages hold no secret (no CSRF token, nothing personal), so compression reveals nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.handlers.wsgi import get_path_info
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, parse_cookie
from django.http.request import split_domain_port, validate_host
from django.urls import Resolver404, resolve

from .cache import catalog_version

# How long a process keeps its own copy of a page; each use still checks the version.
LOCAL_SECONDS = 5.0
LOCAL_MAX_PAGES = 1000
CACHE_CONTROL = "no-cache"
# Headers a 304 leaves out: it has no body.
_NOT_FOR_304 = frozenset(("content-length", "content-type"))

StartResponse = Callable[..., object]


@dataclass(frozen=True)
class Page:
    """A response as Django sent it, for the catalog version it was rendered under, and its
    gzipped form."""

    version: int
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    gzipped: bytes
    gzipped_etag: str

    @classmethod
    def of(cls, *, version: int, status: str, headers: list, body: bytes) -> Page:
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        vary = [v for n, v in headers if n.lower() == "vary"]
        kept = [(n, v) for n, v in headers if n.lower() not in ("vary", "content-length")]
        kept.append(("Vary", ", ".join([*vary, "Accept-Encoding"])))
        return cls(
            version=version,
            status=status,
            headers=tuple(kept),
            body=body,
            etag=f'"{digest}"',
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            gzipped_etag=f'"{digest}-gzip"',
        )


def page_key(path: str) -> str:
    return f"catalog:visitor-page:{path}"


def cached_for_visitors(view):
    """Marks a view whose anonymous, parameterless GET is the same page for every visitor.

    The response is kept by VisitorPageCache only when Django produced it for such a
    request, with status 200, and it set no cookie (no session, no CSRF token, no message).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and request.method == "GET"
            and not request.GET
            and not _personal_cookies(request.COOKIES)
            and not request.user.is_authenticated
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not response.cookies
        ):
            response.visitor_cacheable = True
        return response

    wrapper.cached_for_visitors = True
    return wrapper


def _personal_cookies(cookies: dict[str, str]) -> bool:
    return settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies


@lru_cache(maxsize=4096)
def _cacheable_view(path_info: str) -> bool:
    try:
        match = resolve(path_info)
    except Resolver404:
        return False
    return getattr(match.func, "cached_for_visitors", False)


@lru_cache(maxsize=256)
def _allowed_host(host: str) -> bool:
    domain, _ = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _secure(environ: dict) -> bool:
    header = settings.SECURE_PROXY_SSL_HEADER
    if header:
        name, value = header
        forwarded = environ.get(name)
        if forwarded is not None:
            return forwarded.split(",", 1)[0].strip() == value
    return environ.get("wsgi.url_scheme") == "https"


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs) -> None:
    # Tests change these; a server never does.
    if setting in ("ALLOWED_HOSTS", "DEBUG", "ROOT_URLCONF"):
        _allowed_host.cache_clear()
        _cacheable_view.cache_clear()


def visitor_path(environ: dict) -> str | None:
    """The path whose cached page may answer this request, or None to leave it to Django."""
    if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
        return None
    cookie_header = environ.get("HTTP_COOKIE")
    if cookie_header and _personal_cookies(parse_cookie(cookie_header)):
        return None
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    if not _allowed_host(host):
        return None  # Django answers 400
    if settings.SECURE_SSL_REDIRECT and not _secure(environ):
        return None  # Django redirects to HTTPS
    path = get_path_info(environ)
    return path if _cacheable_view(path) else None


def _not_modified(environ: dict, etags: tuple[str, ...]) -> bool:
    wanted = environ.get("HTTP_IF_NONE_MATCH")
    if not wanted:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    return "*" in tags or any(etag in tags for etag in etags)


def _accepts_gzip(environ: dict) -> bool:
    for coding in environ.get("HTTP_ACCEPT_ENCODING", "").split(","):
        name, _, params = coding.partition(";")
        if name.strip().lower() == "gzip":
            quality = params.strip().removeprefix("q=").strip()
            return quality == "" or quality.strip("0.") != ""
    return False


class VisitorPageCache:
    """WSGI middleware: see the module's docstring."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._local: dict[str, tuple[float, Page]] = {}

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = visitor_path(environ)
        if path is None:
            return self.app(environ, start_response)
        page, version = self._lookup(path)
        if page is not None:
            return self._serve(page, environ, start_response)
        if version is None:  # the cache is unreachable: Django renders from the database
            return self.app(environ, start_response)
        return self._render(path, version, environ, start_response)

    def _lookup(self, path: str) -> tuple[Page | None, int | None]:
        """The current page for PATH if one is kept, and the current version."""
        version = catalog_version()
        if version is None:
            return None, None
        local = self._local.get(path)
        if local is not None and local[0] > time.monotonic() and local[1].version == version:
            return local[1], version
        page = cache.get(page_key(path))
        if page is None or page.version != version:
            return None, version
        self._keep(path, page)
        return page, version

    def _keep(self, path: str, page: Page) -> None:
        if len(self._local) >= LOCAL_MAX_PAGES:
            self._local.clear()
        self._local[path] = (time.monotonic() + LOCAL_SECONDS, page)

    def _render(
        self, path: str, version: int, environ: dict, start_response: StartResponse
    ) -> Iterable[bytes]:
        sent: dict = {}

        def capture(status: str, headers: list, exc_info=None) -> Callable:
            sent.update(status=status, headers=headers, exc_info=exc_info)
            return _no_write

        result = self.app(environ, capture)
        headers = sent["headers"]
        if not getattr(result, "visitor_cacheable", False) or any(
            name.lower() == "set-cookie" for name, _ in headers
        ):
            start_response(sent["status"], headers, sent["exc_info"])
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django's request_finished: connections closed or kept as usual
        page = Page.of(version=version, status=sent["status"], headers=headers, body=body)
        cache.set(page_key(path), page, settings.CATALOG_CACHE_SECONDS)
        self._keep(path, page)
        return self._serve(page, environ, start_response)

    def _serve(self, page: Page, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if _accepts_gzip(environ):
            body, etag, encoding = page.gzipped, page.gzipped_etag, [("Content-Encoding", "gzip")]
        else:
            body, etag, encoding = page.body, page.etag, []
        validators = [("ETag", etag), ("Cache-Control", CACHE_CONTROL)]
        if _not_modified(environ, (page.etag, page.gzipped_etag)):
            headers = [(n, v) for n, v in page.headers if n.lower() not in _NOT_FOR_304]
            start_response("304 Not Modified", headers + validators)
            return []
        length = [("Content-Length", str(len(body)))]
        start_response(page.status, [*page.headers, *encoding, *length, *validators])
        return [body]


def _no_write(data: bytes) -> None:
    raise RuntimeError("Django does not use the WSGI write() callable")
