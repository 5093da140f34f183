"""Running keyring work inside the right tenant's row-level-security context."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from django.db import connection

from tenants.context import current_tenant_id, tenant_context

from .envelope import tenant_uuid
from .errors import TenantContextMismatch


def refuse_other_tenant(tenant_id) -> uuid.UUID:
    """`tenant_id` as a UUID, unless another tenant's context is active (TenantContextMismatch)."""
    wanted = tenant_uuid(tenant_id)
    active = current_tenant_id()
    if active is not None and active != wanted:
        raise TenantContextMismatch(f"Tenant {wanted}'s key was asked for inside tenant {active}'s context.")
    return wanted


@contextlib.contextmanager
def tenant_scope(tenant_id) -> Iterator[None]:
    """Inside `tenant_id`'s context: the caller's, when it is already that tenant's; else a new one.

    Reusing the caller's context (a request, a TenantTask) avoids nesting `tenant_context`, whose
    exit clears the transaction's setting. Another tenant's active context is refused: a key of
    tenant A is never used while working for tenant B.
    """
    wanted = refuse_other_tenant(tenant_id)
    if current_tenant_id() == wanted and connection.in_atomic_block:
        yield
        return
    with tenant_context(wanted):
        yield
