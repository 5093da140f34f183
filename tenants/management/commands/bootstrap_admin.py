"""Create the first super admin once, with a random password printed once; never re-created."""

import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.models import PlatformSetting, User

MARKER = "bootstrap_admin"


class Command(BaseCommand):
    help = "Create the first super admin (only on the very first run)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="superadmin")

    @transaction.atomic
    def handle(self, *args, username: str, **options):
        if PlatformSetting.get(MARKER):
            return
        password = secrets.token_urlsafe(15)
        User.objects.create_user(username=username, password=password, is_super_admin=True)
        PlatformSetting.put(MARKER, {"username": username})
        bar = "=" * 64
        self.stdout.write(
            f"{bar}\nFirst super admin created — shown once, store it now:\n"
            f"  username: {username}\n  password: {password}\n{bar}"
        )
