"""manage.py audit_verify [--tenant SLUG | --platform]: check the audit log's hash chains.

Runs as the app role like everything else: it reads one chain at a time inside that chain's context
(each tenant's, then the platform's), so row-level security stays on. Exit status 1 when a chain is
broken; `-v 2` prints every chain's head (seq and hash), worth recording elsewhere.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Verify the audit log's hash chains; report the first broken link of each."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--tenant", metavar="SLUG", help="only this tenant's chain")
        which.add_argument("--platform", action="store_true", help="only the platform chain")

    def handle(self, *args, tenant: str | None = None, platform: bool = False, verbosity: int = 1, **options):
        chains = self._chains(tenant, platform)
        entries = chains_with_entries = broken = 0
        for label, tenant_id in chains:
            report = verify_chain(tenant_id)
            entries += report.entries
            chains_with_entries += report.entries > 0
            if verbosity >= 2:
                self.stdout.write(f"{label}: {report.entries} entries, head seq {report.head_seq} {report.head_hash}")
            if report.broken:
                broken += 1
                link = report.broken
                self.stderr.write(f"BROKEN: {label} at seq {link.seq} (id {link.id}): {link.reason}")
        if broken:
            raise CommandError(f"{broken} of {len(chains)} audit chains are broken.")
        self.stdout.write(f"OK: {entries} entries in {chains_with_entries} chains")

    def _chains(self, slug: str | None, platform_only: bool) -> list[tuple[str, object]]:
        if slug is not None:
            tenant = Tenant.objects.filter(slug=slug).first()
            if tenant is None:
                raise CommandError(f"No tenant with slug {slug!r}.")
            return [(f"tenant {tenant.slug}", tenant.id)]
        platform = [("platform", None)]
        if platform_only:
            return platform
        return platform + [(f"tenant {t.slug}", t.id) for t in Tenant.objects.order_by("slug")]
