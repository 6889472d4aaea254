"""A lost database connection answers 503 "try again" rather than 500, and is not reused."""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from .models import SiteSettings

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """Turns OperationalError/InterfaceError (connection dropped, server restarting, too many
    connections, deadlock) raised by a view into a 503 page with Retry-After.

    The view's transaction was rolled back by the failure, so trying again is safe.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "Database unavailable during %s %s: answered 503",
            request.method,
            request.path,
            exc_info=exception,
        )
        _close_broken_connections()
        response = HttpResponse(_page(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _close_broken_connections() -> None:
    # The next request in this process then connects afresh instead of failing on the
    # dead socket (Django only checks connections between requests, and not in tests).
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()


def _page() -> str:
    # No request context: its processors would query the database for the site settings and
    # the user. The unsaved defaults name the center.
    return render_to_string("503.html", {"center": SiteSettings()})
