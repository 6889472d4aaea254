from django.contrib.admin.apps import AdminConfig


class PolarisAdminConfig(AdminConfig):
    """The project's own app config: Django's admin with our site, and the project-wide
    system checks."""

    default_site = "polaris.admin.PolarisAdminSite"

    def ready(self) -> None:
        super().ready()
        from . import checks  # noqa: F401
