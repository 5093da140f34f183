"""Which audit rows the current transaction may see and write.

The audit table's policy (migration 0002) admits a row when
- its tenant is the transaction's `app.tenant_id` (the ordinary tenant context), or
- it is a platform row (tenant NULL) and `app.platform_audit` is 'on'.

Both settings are only ever set transaction-locally (`set_config(…, true)`). The platform switch is
set by exactly three callers: `audit.services.platform_entries` (the platform audit views, which
answer 404 to anyone but a super admin before calling it), `audit.services.record` (for the moment
it reads the platform chain's head and appends to it) and `manage.py audit_verify`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from django.db import connection

from tenants.context import SETTING as TENANT_SETTING
from tenants.context import TenantContextError

PLATFORM_SETTING = "app.platform_audit"


@dataclass(frozen=True)
class AuditContext:
    """The two settings as PostgreSQL holds them ('' when unset)."""

    tenant_id: str
    platform: str

    @classmethod
    def for_chain(cls, tenant_id: uuid.UUID | None) -> AuditContext:
        """The context in which one chain (a tenant's, or the platform's for None) is visible."""
        return cls("", "on") if tenant_id is None else cls(str(tenant_id), "")


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise TenantContextError("The audit context needs an open transaction (ATOMIC_REQUESTS or atomic()).")


def current() -> AuditContext:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting(%s, true), ''), coalesce(current_setting(%s, true), '')",
            [TENANT_SETTING, PLATFORM_SETTING],
        )
        tenant_id, platform = cursor.fetchone()
    return AuditContext(tenant_id, platform)


def apply(context: AuditContext) -> None:
    """Set both settings for the rest of the current transaction."""
    _require_transaction()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
            [TENANT_SETTING, context.tenant_id, PLATFORM_SETTING, context.platform],
        )


def activate_platform_audit() -> None:
    """Make platform audit rows visible for the rest of the current transaction (super admin code only)."""
    _require_transaction()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [PLATFORM_SETTING])


@contextlib.contextmanager
def switched_to(context: AuditContext) -> Iterator[None]:
    """Run a block in `context`, then put back what the caller had (the tenant ContextVar is untouched).

    If a database error aborted the transaction inside the block, there is nothing to put back: the
    transaction accepts no statement until it is rolled back, and the rollback reverts the settings.
    """
    _require_transaction()
    previous = current()
    if previous == context:
        yield
        return
    apply(context)
    try:
        yield
    finally:
        if not _transaction_aborted():
            apply(previous)


def _transaction_aborted() -> bool:
    """After a database error the transaction accepts no statement until its owner rolls it back
    (which reverts transaction-local settings too)."""
    return connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
