"""One word for moving a registration to another date: "transfer". The audit log's action
code and the outbox's email kind (and the keys made from it) are rewritten, so that the
history recorded before still renders and its emails are not sent twice."""

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

# (before, after)
ACTIONS = (("registration.enrolment.moved", "registration.enrolment.transferred"),)
KINDS = (("enrolment_moved", "enrolment_transferred"),)


def _rename(apps, *, actions, kinds):
    LogEntry = apps.get_model("audit", "LogEntry")
    OutboundEmail = apps.get_model("registration", "OutboundEmail")
    for before, after in actions:
        LogEntry.objects.filter(action=before).update(action=after)
    for before, after in kinds:
        prefix = f"{before}:"
        OutboundEmail.objects.filter(kind=before).update(kind=after)
        OutboundEmail.objects.filter(key__startswith=prefix).update(
            key=Concat(Value(f"{after}:"), Substr(F("key"), len(prefix) + 1))
        )


def forwards(apps, schema_editor):
    _rename(apps, actions=ACTIONS, kinds=KINDS)


def backwards(apps, schema_editor):
    _rename(
        apps,
        actions=[(after, before) for before, after in ACTIONS],
        kinds=[(after, before) for before, after in KINDS],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_earlier_order_events"),
        ("registration", "0018_waitlist_offer_taken_at"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
