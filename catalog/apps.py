from django.apps import AppConfig
from django.core import checks


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        # Imported once the app registry is ready, as Django documents for signals.
        from . import signals  # noqa: F401
        from .checks import check_credit_types

        checks.register(check_credit_types)
