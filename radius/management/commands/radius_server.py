"""python manage.py radius_server — the User Manager RADIUS server (auth + accounting)."""

from __future__ import annotations

import logging
import os
import ssl

from django.core.management.base import BaseCommand, CommandError

from radius.server import radsec
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
        parser.add_argument(
            "--radsec-port",
            default=os.environ.get("MIKMAN_RADSEC_PORT", ""),
            help="Also serve RadSec (RFC 6614, RADIUS over TLS) on this TCP port, e.g. 2083 (default: off; "
            "env MIKMAN_RADSEC_PORT).",
        )
        parser.add_argument(
            "--radsec-cert",
            default=os.environ.get("MIKMAN_RADSEC_CERT", ""),
            help="PEM certificate (chain) the server presents (env MIKMAN_RADSEC_CERT).",
        )
        parser.add_argument(
            "--radsec-key", default=os.environ.get("MIKMAN_RADSEC_KEY", ""), help="Its PEM key (env MIKMAN_RADSEC_KEY)."
        )
        parser.add_argument(
            "--radsec-ca",
            default=os.environ.get("MIKMAN_RADSEC_CA", ""),
            help="PEM CA certificate(s) a NAS's client certificate must be signed by (env MIKMAN_RADSEC_CA).",
        )

    def _radsec(self, options) -> dict:
        """The RadSec options for RadiusServer, checked here so a bad file is a message, not a traceback."""
        port = str(options["radsec_port"] or "").strip()
        if not port:
            return {}
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            raise CommandError("--radsec-port must be a port number (0-65535).")
        files = {name: options[f"radsec_{name}"] for name in ("cert", "key", "ca")}
        missing = [f"--radsec-{name}" for name, path in files.items() if not path]
        if missing:
            raise CommandError(f"RadSec needs {', '.join(missing)} (or MIKMAN_RADSEC_CERT/KEY/CA).")
        try:
            radsec.server_context(files["cert"], files["key"], files["ca"])
        except (OSError, ssl.SSLError) as exc:
            raise CommandError(f"RadSec certificate files do not load: {exc}") from None
        return {"radsec_port": int(port), **{f"radsec_{name}": path for name, path in files.items()}}

    def handle(self, *args, **options) -> None:
        for name in ("auth_port", "acct_port"):
            if not 0 <= options[name] <= 65535:
                raise CommandError(f"--{name.replace('_', '-')} must be a port number (0-65535).")
        if not 1 <= options["workers"] <= 64:
            raise CommandError("--workers must be 1..64.")
        if options["interim_interval"] < 0 or options["flush_interval"] <= 0:
            raise CommandError("--interim-interval must be ≥ 0 and --flush-interval > 0.")
        radsec_options = self._radsec(options)
        logging.getLogger("radius.server").setLevel(logging.INFO)
        try:
            serve(
                {
                    "bind": options["bind"],
                    "auth_port": options["auth_port"],
                    "acct_port": options["acct_port"],
                    "interim_interval": options["interim_interval"],
                    "flush_interval": options["flush_interval"],
                    **radsec_options,
                },
                workers=options["workers"],
            )
        except OSError as exc:
            raise CommandError(f"cannot serve RADIUS: {exc}") from None
