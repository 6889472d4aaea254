"""Emails recorded before the outbox had keys keep their state: sent ones stay sent, the
others are sent by the next sweep."""

from django.db import migrations
from django.db.models import F


def keys_and_status(apps, schema_editor):
    OutboundEmail = apps.get_model("registration", "OutboundEmail")
    OutboundEmail.objects.filter(sent_at__isnull=False).update(status="sent")
    OutboundEmail.objects.update(next_attempt_at=F("created_at"))
    for pk in OutboundEmail.objects.values_list("pk", flat=True).iterator():
        OutboundEmail.objects.filter(pk=pk).update(key=f"email:{pk}")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0013_outbox"),
    ]

    operations = [
        migrations.RunPython(keys_and_status, migrations.RunPython.noop),
    ]
