"""Fair-usage throttling: a limitation may throttle (CoA with a lower Mikrotik-Rate-Limit) instead of
disconnecting when its byte limit is used up; the session records the CoA it got."""

import django.db.models
from django.db import migrations

import radius.models.profiles


class Migration(migrations.Migration):
    dependencies = [("radius", "0002_server_change_notify")]

    operations = [
        migrations.AddField(
            model_name="limitation",
            name="on_limit_reached",
            field=django.db.models.CharField(
                choices=[
                    ("disconnect", "Disconnect"),
                    ("throttle", "Throttle (CoA to a lower rate, the session continues)"),
                ],
                default="disconnect",
                help_text="When the download/upload/transfer limit is used up (uptime and validity always disconnect).",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="limitation",
            name="throttle_rate_limit",
            field=django.db.models.CharField(
                blank=True,
                help_text="Mikrotik-Rate-Limit while throttled, e.g. 256k/1M (rx/tx: the user's upload/download).",
                max_length=64,
                validators=[radius.models.profiles.validate_rate_limit],
            ),
        ),
        migrations.AddField(
            model_name="session",
            name="throttled_rate_limit",
            field=django.db.models.CharField(
                blank=True, help_text="Mikrotik-Rate-Limit sent by CoA when a limit was used up.", max_length=64
            ),
        ),
        migrations.AddField(
            model_name="session",
            name="coa_result",
            field=django.db.models.CharField(
                blank=True, help_text="The NAS's answer to that CoA: ack, nak, timeout.", max_length=8
            ),
        ),
    ]
