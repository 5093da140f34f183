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
    """Forget the tenant: in the open transaction (if any) and in the ContextVar."""
    if connection.in_atomic_block and not connection.needs_rollback:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', true)", [SETTING])
    if token is not None:
        _current_tenant.reset(token)
    else:
        _current_tenant.set(None)


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
