"""Where PostgreSQL and Redis are, and as which role the platform connects.

Two PostgreSQL roles (see ../shared/design/rls.md): `mikman_owner` runs migrations and owns the
schema; `mikman_app` is what web, workers, beat and the RADIUS server use. Resolution order:
1. DATABASE_APP_URL + DATABASE_OWNER_URL: given explicitly (Compose, Helm, managed databases).
2. DATABASE_URL: a server whose user may create roles; the launcher provisions both roles and the
   database named in the URL, and the platform connects with those roles.
3. Nothing set: the embedded PostgreSQL (pgserver) under data/pg.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

OWNER_ROLE = "mikman_owner"
APP_ROLE = "mikman_app"
DEFAULT_DB_NAME = "mikman"
EMBEDDED_REDIS_PORT = 6390


@dataclass(frozen=True)
class PgTarget:
    host: str
    port: int
    name: str
    user: str
    password: str
    # libpq options from the URL's query string (sslmode, sslrootcert, …)
    options: tuple[tuple[str, str], ...] = ()

    def renamed(self, name: str) -> PgTarget:
        return PgTarget(self.host, self.port, name, self.user, self.password, self.options)

    def django(self) -> dict:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": str(self.port),
            "OPTIONS": dict(self.options),
        }

    def connect_kwargs(self, dbname: str | None = None) -> dict:
        """Keyword arguments for psycopg.connect()."""
        kwargs = dict(host=self.host, port=self.port, user=self.user, dbname=dbname or self.name, **dict(self.options))
        if self.password:
            kwargs["password"] = self.password
        return kwargs


def parse_pg_url(url: str) -> PgTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL (postgresql://user:password@host:port/db): {url!r}")
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    host = unquote(query.get("host", "")) or parts.hostname or "127.0.0.1"
    port = int(query.get("port") or parts.port or 5432)
    name = unquote(parts.path.lstrip("/")) or DEFAULT_DB_NAME
    options = tuple((k, unquote(v)) for k, v in query.items() if k not in ("host", "port"))
    return PgTarget(host, port, name, unquote(parts.username or ""), unquote(parts.password or ""), options)


def embedded_pg_dir(data_dir) -> str:
    return str(data_dir / "pg")


def admin_target(data_dir) -> PgTarget:
    """The server-admin connection used only to provision roles and databases."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return parse_pg_url(url)
    return PgTarget(embedded_pg_dir(data_dir), 5432, "postgres", "postgres", "")


def role_targets(data_dir, secrets: dict[str, str], test: bool = False) -> tuple[PgTarget | None, PgTarget]:
    """(owner, app) connection targets. Owner is None when only DATABASE_APP_URL is given: web,
    workers and beat then run without the owner's password; only `migrate` needs it."""
    app_url, owner_url = os.environ.get("DATABASE_APP_URL"), os.environ.get("DATABASE_OWNER_URL")
    if app_url:
        app = parse_pg_url(app_url)
        owner = parse_pg_url(owner_url) if owner_url else None
    else:
        admin = admin_target(data_dir)
        name = admin.name if os.environ.get("DATABASE_URL") and admin.name != "postgres" else DEFAULT_DB_NAME
        name = os.environ.get("MIKMAN_DB_NAME", name)
        owner = PgTarget(admin.host, admin.port, name, OWNER_ROLE, secrets["DB_OWNER_PASSWORD"])
        app = PgTarget(admin.host, admin.port, name, APP_ROLE, secrets["DB_APP_PASSWORD"])
    if test:
        owner = owner.renamed(owner.name + "_test") if owner else None
        app = app.renamed(app.name + "_test")
    return owner, app


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{embedded_redis_port()}/0"


def embedded_redis_port() -> int:
    """6390, or — when MIKMAN_DB_NAME names a separate checkout/run — a port of its own (6400-6899),
    so concurrent runs never share (and stop) each other's embedded Redis."""
    if "MIKMAN_EMBEDDED_REDIS_PORT" in os.environ:
        return int(os.environ["MIKMAN_EMBEDDED_REDIS_PORT"])
    name = os.environ.get("MIKMAN_DB_NAME")
    if name and name != DEFAULT_DB_NAME:
        return 6400 + zlib.crc32(name.encode()) % 500
    return EMBEDDED_REDIS_PORT
