"""A browser speaking WSGI to the application gunicorn serves (polaris.wsgi), cookies and all.

Django's test client enters Django below the WSGI application, so it never meets what
polaris.wsgi wraps around Django; this does, without a server.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from wsgiref.util import setup_testing_defaults

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from polaris.wsgi import application


@dataclass
class Response:
    status_code: int
    headers: dict[str, str]
    set_cookies: list[str]
    content: bytes


@dataclass
class Browser:
    app: object = None
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.app is None:
            self.app = application

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "HTTP_HOST": "testserver",
            "wsgi.input": io.BytesIO(b""),
        }
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        setup_testing_defaults(environ)
        started: dict = {}

        def start_response(status: str, response_headers: list, exc_info=None):
            started.update(status=status, headers=response_headers)

        # As Django's test client does: the test's database connection, inside the test's
        # transaction, must survive the request_started and request_finished signals.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        set_cookies = [v for n, v in started["headers"] if n.lower() == "set-cookie"]
        for raw in set_cookies:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return Response(
            status_code=int(started["status"].split()[0]),
            headers={n.lower(): v for n, v in started["headers"] if n.lower() != "set-cookie"},
            set_cookies=set_cookies,
            content=body,
        )

    def sign_in_as(self, user) -> None:
        """Carry the session cookie of USER signed in (as after the sign-in form)."""

        client = Client()
        client.force_login(user)
        self.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[
            settings.SESSION_COOKIE_NAME
        ].value
