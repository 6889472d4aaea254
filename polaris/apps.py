from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PolarisAdminConfig(AdminConfig):
    """The project's own app config: Django's admin with our site, and the project-wide
    system checks."""

    default_site = "polaris.admin.PolarisAdminSite"

    def ready(self) -> None:
        super().ready()
        from . import checks  # noqa: F401


class PolarisConfig(AppConfig):
    """The project as an app of its own: the table that keeps the site's files (see
    polaris.storage) and the media_import command."""

    name = "polaris"
    label = "polaris"
    verbose_name = "Polaris"
    default_auto_field = "django.db.models.BigAutoField"
