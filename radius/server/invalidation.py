"""Keeping the server's cache exact: LISTEN for the trigger's NOTIFYs, re-read what changed.

The trigger (migration radius 0002) sends "<tenant> <table> <id> <user>" when a change commits.
The server marks that tenant as reloading the moment the notification arrives; the tenant's
requests wait until the changed rows are re-read (one small query per kind, on the database
thread), so no request is decided on data older than a committed change it could have seen. If
the LISTEN connection drops, everything is reloaded after it is back (notifications may have been
missed in between).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from radius.server import directory as directory_module
from tenants.context import tenant_context

log = logging.getLogger("radius.server")

CHANNEL = "radius_directory"
WATCHED_TABLES = (
    "radius_radiususer",
    "radius_userprofile",
    "radius_group",
    "radius_profile",
    "radius_limitation",
    "radius_profilelimitation",
    "radius_router",
    "radius_customattribute",
)
CATALOG_TABLES = frozenset(
    {"radius_group", "radius_profile", "radius_limitation", "radius_profilelimitation", "radius_customattribute"}
)


@dataclass
class Changes:
    """What changed in one tenant since the last reload."""

    catalog: bool = False
    routers: bool = False
    user_ids: set = field(default_factory=set)
    everything: bool = False

    def add(self, table: str, row_id: str, owner: str) -> None:
        if table in CATALOG_TABLES:
            self.catalog = True
            if table == "radius_profile":
                # a profile's validity/starts-when is copied into its users' queues
                self.everything = True
        elif table == "radius_router":
            self.routers = True
        elif table == "radius_radiususer":
            self.user_ids.add(uuid.UUID(row_id))
        elif table == "radius_userprofile" and owner:
            self.user_ids.add(uuid.UUID(owner))

    def merge(self, other: Changes) -> None:
        self.catalog |= other.catalog
        self.routers |= other.routers
        self.everything |= other.everything
        self.user_ids |= other.user_ids


def parse(payload: str) -> tuple[uuid.UUID, str, str, str] | None:
    parts = payload.split(" ")
    if len(parts) < 3:
        return None
    try:
        tenant = uuid.UUID(parts[0])
    except ValueError:
        return None
    return tenant, parts[1], parts[2], parts[3] if len(parts) > 3 else ""


@dataclass
class Reloaded:
    """Fresh rows for one tenant (read on the database thread, applied on the event loop)."""

    tenant_id: uuid.UUID
    whole: directory_module.TenantDirectory | None = None
    catalog: directory_module.TenantDirectory | None = None
    routers: dict | None = None
    users: dict | None = None


def reload(tenant_id: uuid.UUID, changes: Changes, current: directory_module.TenantDirectory | None) -> Reloaded:
    """Database thread: read what `changes` says (everything for a tenant not loaded yet).
    `current` (the cached directory, read only) lets unchanged secrets be reused unopened."""
    close_old_connections()
    out = Reloaded(tenant_id)
    with tenant_context(tenant_id):
        if changes.everything or current is None:
            out.whole = directory_module.load_tenant(tenant_id, current)
            return out
        if changes.catalog:
            out.catalog = directory_module.TenantDirectory(tenant_id)
            directory_module.load_catalog(out.catalog)
        if changes.routers:
            out.routers = directory_module.load_routers(tenant_id)
        if changes.user_ids:
            known = {uid: e for uid in changes.user_ids if (e := current.users_by_id().get(uid)) is not None}
            out.users = directory_module.load_users(tenant_id, sorted(changes.user_ids), known)
    return out


def tenant_ids() -> list[uuid.UUID]:
    """Database thread: every tenant (a platform table, readable without a tenant context)."""
    from tenants.models import Tenant

    close_old_connections()
    return list(Tenant.objects.values_list("id", flat=True))


def listen_params() -> dict:
    """psycopg connection arguments for the app role, from Django's own settings."""
    params = dict(connection.get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold", "server_side_binding"):
        params.pop(key, None)
    return params


class Listener:
    """LISTEN on a connection of our own, read by the event loop (add_reader).

    `poll()` is also called before every packet is decided: it drains notifications that have
    already reached our socket (one non-blocking recv when there are none), so a change whose
    notification arrived is applied before the next decision, not after it. `on_connected()`
    runs once LISTEN is in place, after the first connection and every reconnection: the caller
    (re)loads everything then, so nothing committed while we were not listening is missed."""

    def __init__(self, params: dict, on_change: Callable, on_connected: Callable) -> None:
        self.params = params
        self.on_change = on_change
        self.on_connected = on_connected
        self.conn = None
        self.closed = False
        self._fd: int | None = None

    async def connect(self) -> None:
        import psycopg

        loop = asyncio.get_running_loop()
        while not self.closed:
            try:
                conn = await asyncio.to_thread(psycopg.connect, autocommit=True, **self.params)
                conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error as exc:
                log.warning("radius: cannot LISTEN for changes (%s); retrying", type(exc).__name__)
                await asyncio.sleep(2)
                continue
            conn.pgconn.nonblocking = 1
            self.conn, self._fd = conn, conn.pgconn.socket
            loop.add_reader(self._fd, self.poll)
            self.on_connected()
            return

    def poll(self) -> None:
        conn = self.conn
        if conn is None:
            return
        pgconn = conn.pgconn
        try:
            pgconn.consume_input()
        except Exception as exc:  # noqa: BLE001 - the connection is gone: reconnect, then reload everything
            log.warning("radius: change listener lost its connection (%s); reconnecting", type(exc).__name__)
            self._drop()
            if not self.closed:
                asyncio.ensure_future(self.connect())
            return
        while True:
            note = pgconn.notifies()
            if note is None:
                break
            parsed = parse(note.extra.decode())
            if parsed is not None:
                self.on_change(*parsed)

    def _drop(self) -> None:
        if self._fd is not None:
            asyncio.get_running_loop().remove_reader(self._fd)
            self._fd = None
        if self.conn is not None:
            with contextlib.suppress(Exception):  # already broken
                self.conn.close()
            self.conn = None

    def close(self) -> None:
        self.closed = True
        self._drop()
