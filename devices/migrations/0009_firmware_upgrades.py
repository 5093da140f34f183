from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0008_config_push"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="update_channel",
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AddField(
            model_name="device",
            name="update_latest",
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.AddField(
            model_name="device",
            name="update_checked",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
