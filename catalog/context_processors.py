"""The center's name and contacts, for every template (cached; see SiteSettings.current)."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import SiteSettings


def center(request: HttpRequest) -> dict:
    return {"center": SimpleLazyObject(SiteSettings.current)}
