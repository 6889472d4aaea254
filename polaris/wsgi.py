"""WSGI entry point for gunicorn.

Catalog pages for visitors without a session are answered from the cache before Django's
middleware runs (catalog.middleware.VisitorPageCache); every other request goes to Django.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polaris.settings")

django_application = get_wsgi_application()

from catalog.middleware import VisitorPageCache  # noqa: E402 (needs Django set up)

application = VisitorPageCache(django_application)
