"""Sessions remember the answer to the last Disconnect-Request (the UI/API Disconnect button);
profiles say what happens when a user already has shared-users sessions open."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("radius", "0003_coa_throttle"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="shared_users_overflow",
            field=models.CharField(
                choices=[
                    ("reject-new", "Reject the new login"),
                    ("disconnect-oldest", "Disconnect the oldest session"),
                ],
                default="reject-new",
                help_text="When a user already has shared-users sessions open: reject the new login, or accept it "
                "and disconnect the oldest session.",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="session",
            name="disconnect_result",
            field=models.CharField(
                blank=True,
                default="",
                db_default="",
                help_text="Answer to the last Disconnect-Request sent for it: ack, nak or timeout.",
                max_length=8,
            ),
        ),
    ]
