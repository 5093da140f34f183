"""`manage.py import_feed versions|cve FILE` — load a feed from a file (air-gapped sites), or
`manage.py import_feed --fetch` to fetch the enabled feeds now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from devices.feeds.parse import FeedError
from devices.feeds.services import import_file, refresh_feeds


class Command(BaseCommand):
    help = (
        'Import a RouterOS versions file ({"7": {"stable": "7.19.4"}}) or an NVD CVE API 2.0 JSON file, '
        "or fetch the enabled feeds now with --fetch."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", choices=["versions", "cve"], help="which feed the file holds")
        parser.add_argument("file", nargs="?", help="path of the JSON file")
        parser.add_argument("--fetch", action="store_true", help="fetch the enabled feeds from their URLs instead")

    def handle(self, *args, kind: str | None, file: str | None, fetch: bool, **options):
        if fetch:
            report = refresh_feeds()
            for name, count in report.fetched.items():
                self.stdout.write(f"{name}: {count} item(s) fetched")
            for name in report.skipped:
                self.stdout.write(f"{name}: off (its FEED_*_URL is empty)")
            if report.errors:
                raise CommandError("; ".join(f"{name}: {error}" for name, error in report.errors.items()))
            return
        if not kind or not file:
            raise CommandError("Give the feed and the file, e.g. `import_feed cve nvd-routeros.json`, or --fetch.")
        try:
            count = import_file(kind, file)
        except FeedError as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        self.stdout.write(f"{kind}: {count} item(s) imported from {file}")
