"""Paths carrying a NUL byte answer 400: PostgreSQL cannot compare text with NUL in it."""

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class NulBytesMiddleware:
    """Every code and token in a path reaches a query, where a NUL byte raises instead of
    matching nothing; no real path has one, so refuse it up front. (Form fields refuse NUL
    themselves, with a message next to the field; query parameters no view reads are
    ignored, NUL or not, except in the admin, whose filters and searches put every query
    parameter into a query.)"""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            raise BadRequest("NUL byte in the path")
        if request.path.startswith(reverse("admin:index")) and any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        ):
            raise BadRequest("NUL byte in the admin's query parameters")
        return self.get_response(request)
