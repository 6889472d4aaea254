"""The outbox's keys, filled in by 0010, become unique: one row per email, ever."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0014_outbox_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundemail",
            name="key",
            field=models.CharField(max_length=200, unique=True, verbose_name="key"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="kind",
            field=models.CharField(max_length=40, verbose_name="kind"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="last error"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="to",
            field=models.EmailField(max_length=254, verbose_name="recipient"),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["next_attempt_at"],
                name="outbox_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["status", "-created_at"], name="outbox_by_status"),
        ),
    ]
