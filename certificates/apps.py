from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from registration.services.emails import email_kind_register

        from . import actions, delivery, services

        actions.actions_register()

        # A certificate's email goes through registration's outbox, composed here.
        email_kind_register(
            delivery.KIND,
            compose=services.certificate_email,
            status_changed=delivery.certificate_delivery_follow,
        )
