from django.contrib.admin.apps import AdminConfig


class PolarisAdminConfig(AdminConfig):
    """The project's own app config: Django's admin with our site, and the project-wide
    system checks."""

    default_site = "polaris.admin.PolarisAdminSite"

    def ready(self) -> None:
        from django.core import checks

        from .checks import check_site_url, check_stripe

        super().ready()
        checks.register(check_stripe)
        checks.register(check_site_url)
