"""The orders' audit log as it was (registration's OrderEvent: one sentence per line) moves
into the audit log, each line kept word for word with its action, actor and time."""

from django.db import migrations


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    OrderEvent = apps.get_model("registration", "OrderEvent")
    LogEntry = apps.get_model("audit", "LogEntry")
    order_type, _ = ContentType.objects.get_or_create(app_label="registration", model="order")
    batch = []
    for event in OrderEvent.objects.order_by("pk").iterator(chunk_size=2000):
        batch.append(
            LogEntry(
                content_type_id=order_type.pk,
                object_id=event.order_id,
                action="registration.earlier",
                data={"action": event.action, "message": event.message},
                actor_id=event.actor_id,
                created_at=event.created_at,
            )
        )
        if len(batch) == 2000:
            LogEntry.objects.bulk_create(batch)
            batch = []
    LogEntry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registration", "0015_outbox_keys_unique"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
