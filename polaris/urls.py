from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("registration.urls")),
    path("", include("certificates.urls")),
    path("", include("catalog.urls")),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", views.media, name="media")]

handler400 = "polaris.views.bad_request"
handler404 = "polaris.views.page_not_found"
handler500 = "polaris.views.server_error"
