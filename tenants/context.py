"""The active tenant: a transaction-local PostgreSQL setting plus a ContextVar mirror.

Row-level security policies read `app.tenant_id`. It is only ever set with
`set_config('app.tenant_id', %s, true)` — local to the current transaction — so a pooled or
reused connection can never carry one tenant's context into another request or task.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator

from django.db import connection, transaction

_current_tenant: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar("tenant", default=None)

SETTING = "app.tenant_id"


class TenantContextError(RuntimeError):
    """Raised when tenant context is set outside a transaction (it would not stick)."""


def current_tenant_id() -> uuid.UUID | None:
    return _current_tenant.get()


def activate_tenant(tenant_id: uuid.UUID | str) -> contextvars.Token:
    """Set the tenant for the rest of the current transaction. Must run inside atomic()."""
    if not connection.in_atomic_block:
        raise TenantContextError("activate_tenant() needs an open transaction (ATOMIC_REQUESTS or atomic()).")
    tenant_uuid = uuid.UUID(str(tenant_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, str(tenant_uuid)])
    return _current_tenant.set(tenant_uuid)


def deactivate_tenant(token: contextvars.Token | None = None) -> None:
    """Forget the tenant: in the ContextVar and in the open transaction (if any).

    With the token of a nested `activate_tenant`, the outer tenant comes back in both places
    (a nested `tenant_context` for another tenant must not leave the outer code tenant-less in
    PostgreSQL while the ContextVar still names the outer tenant)."""
    if token is not None:
        _current_tenant.reset(token)
    else:
        _current_tenant.set(None)
    if _transaction_usable():
        restored = _current_tenant.get()
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, str(restored) if restored else ""])


def _transaction_usable() -> bool:
    """In a transaction that can still run statements. After a failed statement (e.g. an RLS
    violation from raw SQL) PostgreSQL refuses everything until rollback — which discards the
    transaction-local setting anyway — and a set_config() would mask the original error."""
    if not connection.in_atomic_block or connection.needs_rollback or connection.connection is None:
        return False
    from psycopg.pq import TransactionStatus

    return connection.connection.info.transaction_status != TransactionStatus.INERROR


@contextlib.contextmanager
def tenant_context(tenant_id: uuid.UUID | str) -> Iterator[None]:
    """atomic() + tenant setting: the one way background code works inside a tenant."""
    with transaction.atomic():
        token = activate_tenant(tenant_id)
        try:
            yield
        finally:
            deactivate_tenant(token)


def database_tenant_setting() -> str:
    """What PostgreSQL currently holds (for tests and diagnostics)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [SETTING])
        return cursor.fetchone()[0] or ""
