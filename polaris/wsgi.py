"""WSGI entry point for gunicorn.

`settings.WSGI_MIDDLEWARE` names what wraps Django's application, outermost first, as
`MIDDLEWARE` does inside it: catalog pages for visitors without a session are answered from
the cache before Django's middleware runs (catalog.middleware.VisitorPageCache); every other
request goes to Django. polaris wires the apps in by dotted path and imports none of them.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polaris.settings")

application = get_wsgi_application()
for path in reversed(settings.WSGI_MIDDLEWARE):
    application = import_string(path)(application)
