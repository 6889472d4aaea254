from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from django.core import checks

        from . import signals  # noqa: F401
        from .checks import check_credit_types

        checks.register(check_credit_types)
