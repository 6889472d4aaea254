"""One outbox for everything the center sends: a key per email, its status, and when it is
due; roster messages become rows of their own."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_credittype_signature"),
        ("registration", "0012_form_submission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RosterMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("subject", models.CharField(max_length=200, verbose_name="subject")),
                ("message", models.TextField(verbose_name="message")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="written")),
                ("token", models.CharField(max_length=64, unique=True)),
                (
                    "sent_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.session",
                        verbose_name="session",
                    ),
                ),
            ],
            options={
                "verbose_name": "roster message",
                "verbose_name_plural": "roster messages",
                "ordering": ("-created_at", "-pk"),
            },
        ),
        migrations.AlterModelOptions(
            name="outboundemail",
            options={
                "ordering": ("created_at", "pk"),
                "verbose_name": "outbox email",
                "verbose_name_plural": "outbox",
            },
        ),
        migrations.RemoveIndex(
            model_name="outboundemail",
            name="registratio_sent_at_531bcc_idx",
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="key",
            field=models.CharField(max_length=200, null=True, verbose_name="key"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be sent"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("cancelled", "Not sent: no longer needed"),
                ],
                default="pending",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="next_attempt_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="next attempt"
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="payload",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="queued"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="refund",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="emails",
                to="registration.refund",
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="roster_message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="emails",
                to="registration.rostermessage",
            ),
        ),
    ]
