from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = "Registration"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
        from .roles import roles_sync

        # After the last app migrates, so that every permission exists.
        post_migrate.connect(roles_sync, dispatch_uid="registration.roles_sync")
