from django.contrib.admin.apps import AdminConfig


class PolarisAdminConfig(AdminConfig):
    default_site = "polaris.admin.PolarisAdminSite"

    def ready(self) -> None:
        super().ready()
        from . import checks  # noqa: F401
