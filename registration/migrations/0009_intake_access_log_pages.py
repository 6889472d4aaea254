"""The intake access log records pages: one entry per page shown to a member of staff, with the
intakes it listed and the fields it showed. Earlier entries were each one reviewer's reading of
one intake on the review page. Withdrawn intakes lose the reviewer's note, as withdrawing now
deletes it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# What the review page showed when the earlier entries were written.
REVIEW_FIELDS = [
    "trainee",
    "status",
    "submitted_at",
    "decision",
    "reviewed_at",
    "review_note",
    "answers",
]


def entries_to_pages(apps, schema_editor):
    IntakeAccessLog = apps.get_model("registration", "IntakeAccessLog")
    IntakeAccessLogIntake = apps.get_model("registration", "IntakeAccessLogIntake")
    IntakeAccessLogIntake.objects.bulk_create(
        IntakeAccessLogIntake(log_id=log_id, intake_id=intake_id)
        for log_id, intake_id in IntakeAccessLog.objects.values_list("pk", "intake_id")
    )
    IntakeAccessLog.objects.update(page="review", fields=REVIEW_FIELDS)


def pages_to_entries(apps, schema_editor):
    IntakeAccessLog = apps.get_model("registration", "IntakeAccessLog")
    IntakeAccessLogIntake = apps.get_model("registration", "IntakeAccessLogIntake")
    for shown in IntakeAccessLogIntake.objects.order_by("pk"):
        log = IntakeAccessLog.objects.get(pk=shown.log_id)
        if log.intake_id is None:
            IntakeAccessLog.objects.filter(pk=log.pk).update(intake_id=shown.intake_id)
        else:
            log.pk = None
            log.intake_id = shown.intake_id
            log.save()
    IntakeAccessLogIntake.objects.all().delete()
    IntakeAccessLog.objects.filter(intake__isnull=True).delete()


def withdrawn_notes_delete(apps, schema_editor):
    Intake = apps.get_model("registration", "Intake")
    Intake.objects.filter(status="withdrawn").exclude(review_note="").update(review_note="")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0008_account_closure"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IntakeAccessLogIntake",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "intake",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registration.intake",
                    ),
                ),
                (
                    "log",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registration.intakeaccesslog",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("log", "intake"), name="intake_access_once_per_view"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="intakeaccesslog",
            name="page",
            field=models.CharField(
                choices=[
                    ("admin_list", "Intakes in admin"),
                    ("admin_detail", "An intake in admin"),
                    ("review_list", "Intakes to review"),
                    ("review", "Review of an intake"),
                ],
                default="review",
                max_length=20,
                verbose_name="page",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="intakeaccesslog",
            name="fields",
            field=models.JSONField(default=list, verbose_name="fields shown"),
        ),
        migrations.AlterField(
            model_name="intakeaccesslog",
            name="viewed_at",
            field=models.DateTimeField(verbose_name="viewed"),
        ),
        migrations.AlterField(
            model_name="intakeaccesslog",
            name="viewed_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="viewed by",
            ),
        ),
        migrations.AlterField(
            model_name="intakeaccesslog",
            name="intake",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registration.intake",
            ),
        ),
        migrations.RunPython(entries_to_pages, pages_to_entries),
        migrations.RemoveField(model_name="intakeaccesslog", name="intake"),
        migrations.AddField(
            model_name="intakeaccesslog",
            name="intakes",
            field=models.ManyToManyField(
                related_name="access_log",
                through="registration.IntakeAccessLogIntake",
                to="registration.intake",
                verbose_name="intakes shown",
            ),
        ),
        migrations.RunPython(withdrawn_notes_delete, migrations.RunPython.noop),
    ]
