"""Certificates are emailed through the outbox: each valid certificate not emailed yet gets
its outbox email, failed ones as failed (staff retry them), the others sent by the next
sweep."""

from django.db import migrations


def emails_for_undelivered(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    OutboundEmail = apps.get_model("registration", "OutboundEmail")
    undelivered = Certificate.objects.filter(status="valid", emailed_at__isnull=True)
    OutboundEmail.objects.bulk_create(
        (
            OutboundEmail(
                key=f"certificate:{certificate.pk}",
                kind="certificate",
                to=certificate.trainee.email,
                payload={"certificate": certificate.pk},
                status="failed" if certificate.delivery == "failed" else "pending",
                last_error=certificate.delivery_error,
                next_attempt_at=certificate.issued_at,
            )
            for certificate in undelivered.select_related("trainee").iterator()
        ),
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0004_certificate_credentials_times_format"),
        ("registration", "0015_outbox_keys_unique"),
    ]

    operations = [
        migrations.RunPython(emails_for_undelivered, migrations.RunPython.noop),
    ]
