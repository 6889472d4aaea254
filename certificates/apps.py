from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        # Receivers are imported once the app registry is ready, as Django documents.
        from . import receivers

        receivers.registries_join()
