"""The yardstick for the catalog pages: a bare Django view, no middleware, no template.

`gunicorn bench.bare` serves it with the project's settings (so the same Django, the same
gunicorn, the same environment) but with MIDDLEWARE emptied and a one-URL URLconf: what
any Django page costs at the least. bench/catalog.py loads it beside the project.
"""

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polaris.settings")


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("", bare)]


def _application():
    import django
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    django.setup(set_prefix=False)
    settings.MIDDLEWARE = []
    settings.ROOT_URLCONF = __name__
    return WSGIHandler()


application = _application()
