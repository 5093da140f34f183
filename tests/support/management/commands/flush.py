"""Test-only `flush`: truncates as the OWNER role on a side connection.

The app role the suite runs as may not TRUNCATE (and the audit log refuses it outside
maintenance), so Django's own flush — used between transactional tests — would fail.
"""

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections


class Command(BaseCommand):
    stealth_options = ("reset_sequences", "allow_cascade", "inhibit_post_migrate")

    def add_arguments(self, parser):
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument("--database", default="default")

    def handle(self, *args, database="default", inhibit_post_migrate=False, **options):
        conn = connections[database]
        tables = conn.introspection.django_table_names(only_existing=True, include_views=False)
        if options.get("available_apps") is not None:
            inhibit_post_migrate = True
        with psycopg.connect(**settings.DB_OWNER.connect_kwargs()) as side:
            side.execute("SELECT set_config('mikman.audit_maintenance', 'on', true)")
            if tables:
                quoted = ", ".join(f'"{t}"' for t in tables)
                side.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        if not inhibit_post_migrate:
            emit_post_migrate_signal(0, False, database)
