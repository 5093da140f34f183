"""python manage.py radius_server — the User Manager RADIUS server (auth + accounting)."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError

from radius.server.runner import serve


class Command(BaseCommand):
    help = "Serve RADIUS authentication and accounting for every tenant's User Manager."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default="0.0.0.0", help="Address to listen on (default 0.0.0.0).")
        parser.add_argument("--auth-port", type=int, default=1812)
        parser.add_argument("--acct-port", type=int, default=1813)
        parser.add_argument("--workers", type=int, default=1, help="Processes sharing the ports (SO_REUSEPORT).")
        parser.add_argument(
            "--interim-interval",
            type=int,
            default=300,
            help="Acct-Interim-Interval sent in Access-Accepts, seconds (0: not sent).",
        )
        parser.add_argument("--flush-interval", type=float, default=0.5, help="Seconds between batched writes.")

    def handle(self, *args, **options) -> None:
        for name in ("auth_port", "acct_port"):
            if not 0 <= options[name] <= 65535:
                raise CommandError(f"--{name.replace('_', '-')} must be a port number (0-65535).")
        if not 1 <= options["workers"] <= 64:
            raise CommandError("--workers must be 1..64.")
        if options["interim_interval"] < 0 or options["flush_interval"] <= 0:
            raise CommandError("--interim-interval must be ≥ 0 and --flush-interval > 0.")
        logging.getLogger("radius.server").setLevel(logging.INFO)
        try:
            serve(
                {
                    "bind": options["bind"],
                    "auth_port": options["auth_port"],
                    "acct_port": options["acct_port"],
                    "interim_interval": options["interim_interval"],
                    "flush_interval": options["flush_interval"],
                },
                workers=options["workers"],
            )
        except OSError as exc:
            raise CommandError(f"cannot serve RADIUS: {exc}") from None
