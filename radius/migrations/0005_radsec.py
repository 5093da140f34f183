"""Routers may be limited to RadSec (RADIUS over TLS): their plain UDP packets are then dropped."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("radius", "0004_provisioning_overflow"),
    ]

    operations = [
        migrations.AddField(
            model_name="router",
            name="radsec_only",
            field=models.BooleanField(
                default=False,
                help_text="Accept this router's requests only over RadSec (RADIUS over TLS); its UDP packets are "
                "dropped.",
                verbose_name="RadSec only",
            ),
        ),
    ]
