"""Small helpers shared by the User Manager's tests."""

from __future__ import annotations

import json

from django.db import connection

from audit.models import AuditEntry
from radius.models import History
from tenants.context import tenant_context


def url(tenant: str, path: str) -> str:
    return f"/api/v1/tenants/{tenant}/radius/{path}"


def stored_text(tenant) -> str:
    """Everything the tenant's audit log and history hold, as one string (to grep for secrets)."""
    with tenant_context(tenant.id):
        audit = list(AuditEntry.objects.filter(tenant_id=tenant.id).values("action", "details", "target_name"))
        history = list(History.objects.values("before", "after", "object_name"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT sealed_secrets::text FROM radius_history WHERE sealed_secrets IS NOT NULL")
            sealed = [row[0] for row in cursor.fetchall()]
    return json.dumps([audit, history, sealed], default=str)
