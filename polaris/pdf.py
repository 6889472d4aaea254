"""PDFs rendered by WeasyPrint from our own HTML, loading nothing but our own static files.

A name or a title typed by a trainee ends up in the HTML; whatever URL it might smuggle in,
the fetcher refuses it, so rendering never reads the file system or the network beyond
the static directories.
"""

import mimetypes
import threading
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedURL(ValueError):
    """A PDF asked for something other than one of our static files."""


def static_roots() -> list[Path]:
    """The directories a PDF may load files from: the project's static files."""
    roots = [Path(settings.STATIC_ROOT)]
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(entry[1] if isinstance(entry, tuple | list) else entry))
    return [root.resolve() for root in roots]


def static_file_uri(name: str) -> str:
    """The file:// URL of a static file (e.g. "fonts/DejaVuSans.ttf"), for @font-face and <img>."""
    path = finders.find(name)
    if path is None:
        raise FileNotFoundError(f"no static file {name!r}")
    return Path(path).resolve().as_uri()


def static_base_url() -> str:
    """A base URL that resolves relative links against the project's static directory."""
    return static_roots()[-1].as_uri() + "/"


class StaticFilesFetcher(URLFetcher):
    """Serves file:// URLs inside the static directories and data: URLs; refuses the rest."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"PDFs load only our static files, not {url}")
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_file() or not any(path.is_relative_to(root) for root in static_roots()):
            raise RefusedURL(f"PDFs load only our static files, not {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
        )


_per_thread = threading.local()
IMAGE_CACHE_LIMIT = 64


def _reusable() -> tuple[FontConfiguration, dict, dict]:
    """One font configuration, image cache and set of parsed stylesheets per thread: parsing
    a stylesheet registers its @font-face fonts again, and that, with loading the logo, costs
    a fifth of a render. The image cache is kept small, since each certificate's QR code is
    a new image."""
    if not hasattr(_per_thread, "font_config"):
        _per_thread.font_config, _per_thread.cache, _per_thread.stylesheets = (
            FontConfiguration(),
            {},
            {},
        )
    if len(_per_thread.cache) > IMAGE_CACHE_LIMIT:
        _per_thread.cache.clear()
    return _per_thread.font_config, _per_thread.cache, _per_thread.stylesheets


def _stylesheet(name: str, font_config: FontConfiguration, parsed: dict) -> CSS:
    """The static stylesheet `name`, parsed once per thread (again when the file changes)."""
    path = finders.find(name)
    if path is None:
        raise FileNotFoundError(f"no static file {name!r}")
    key = (name, Path(path).stat().st_mtime_ns)
    if key not in parsed:
        parsed[key] = CSS(filename=path, url_fetcher=StaticFilesFetcher(), font_config=font_config)
    return parsed[key]


def render_pdf(html: str, *, base_url: str, stylesheets: tuple[str, ...] = ()) -> bytes:
    """The PDF of a complete HTML document; relative URLs resolve against `base_url`.

    `stylesheets` names static files applied to the document as if it linked them; they are
    parsed once per thread rather than for every document.
    """
    font_config, cache, parsed = _reusable()
    return HTML(string=html, base_url=base_url, url_fetcher=StaticFilesFetcher()).write_pdf(
        stylesheets=[_stylesheet(name, font_config, parsed) for name in stylesheets],
        font_config=font_config,
        cache=cache,
    )
