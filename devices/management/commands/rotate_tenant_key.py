"""`manage.py rotate_tenant_key --tenant SLUG`: new tenant key version + rewrap of its secrets."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from devices.keyring import KeyringError, rotate_tenant_key
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Rotate a tenant's key (embedded keyring or Vault transit) and rewrap every stored secret of the tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant's slug")
        parser.add_argument(
            "--background", action="store_true", help="queue the Celery job devices.rotate_tenant_key instead"
        )

    def handle(self, *args, tenant: str, background: bool, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant with slug {tenant!r}.")
        if background:
            from devices.tasks import rotate_tenant_key_task

            result = rotate_tenant_key_task.delay(str(found.id))
            self.stdout.write(f"Queued rotation of {found.slug}'s key: task {result.id}")
            return
        try:
            report = rotate_tenant_key(found.id)
        except KeyringError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{found.slug}: {report}")
        for failure in report.failed:
            self.stderr.write(f"  not rewrapped: {failure}")
        if not report.ok:
            raise CommandError(f"{len(report.failed)} secret(s) of {found.slug} could not be rewrapped (listed above).")
