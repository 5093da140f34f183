# Per-device backup schedule (issue 5). Numbered 0010: the lead chains it after h5a's 0009.

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0008_config_push"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="backup_interval_hours",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Hours between scheduled backups of this device; empty: the tenant's policy; 0: never "
                "(e.g. backed up elsewhere).",
                null=True,
                validators=[django.core.validators.MaxValueValidator(720)],
            ),
        ),
    ]
