from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = "Registration"

    def ready(self) -> None:
        from django.contrib import admin

        # tasks: registered with Celery, for the services that queue them by name (background).
        from . import actions, dashboard, receivers, tasks  # noqa: F401
        from .roles import roles_sync
        from .services import account_emails
        from .services.emails import email_kind_register

        actions.actions_register()
        # After the last app migrates, so that every permission exists.
        post_migrate.connect(roles_sync, dispatch_uid="registration.roles_sync")
        # The coordinator's dashboard on the admin's index page (polaris imports no app).
        admin.site.dashboard_register(dashboard.dashboard_shown)

        # django-allauth's account emails go through the outbox too (see AccountAdapter).
        email_kind_register(
            account_emails.KIND,
            compose=account_emails.account_email_compose,
            status_changed=account_emails.account_email_follow,
        )
