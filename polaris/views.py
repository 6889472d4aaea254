"""Project-wide views: the health check, the error pages and (DEBUG only) stored files."""

import mimetypes

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """A trivial view behind the full middleware stack (used by `make bench` as the baseline)."""
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    """A stored file at MEDIA_URL, as Django's static serve() would with DEBUG=1 (development
    only: the URL is not routed otherwise, and certificates are downloaded through their own
    view)."""
    try:
        with default_storage.open(path, "rb") as stored:
            data = stored.read()
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return HttpResponse(data, content_type=content_type)
