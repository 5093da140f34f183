"""The audit app's verbs: `record()` for every other app; readers for the API and the UI.

Recording rules every caller may rely on:
- `record()` writes in the caller's transaction (so an action that rolls back leaves no entry; with
  no transaction open it commits its own) and into the right chain whatever tenant context the
  caller is in: it switches to the entry's chain for the insert and puts the caller's context back.
- Appending takes the chain's lock (`pg_advisory_xact_lock`) until the caller's transaction ends, so
  concurrent writers of one chain queue instead of forking it. Record near the end of long units of
  work; long jobs commit per batch anyway (../shared/design/rls.md). A transaction that writes to
  two chains (a tenant's and the platform's) may, rarely, meet one taking them in the opposite
  order: PostgreSQL then aborts one of the two with a deadlock error.
- Because the entry shares the caller's transaction, a view that rolls back (DRF does on an
  exception under ATOMIC_REQUESTS) loses it: record failures on a path that commits.
- `details` are made JSON-safe and passed through `audit.redaction.redact()`: keys that name a
  secret are masked at any depth, and so are `secret=value` pairs inside strings.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import ipaddress
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import QuerySet

from audit import chain, context
from audit.export import csv_response, csv_rows
from audit.filtersets import AuditEntryFilterSet
from audit.middleware import current_request
from audit.models import AuditEntry
from audit.redaction import redact
from tenants.roles import Action

__all__ = [
    "csv_response",
    "csv_rows",
    "entries_for",
    "platform_entries",
    "record",
    "recovery_code_used",
    "two_factor_disabled",
    "two_factor_enabled",
    "two_factor_failed",
    "two_factor_verified",
    "verify_chain",
]

ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
# pg_advisory_xact_lock(int, int): the first key keeps audit chain locks apart from anyone else's.
CHAIN_LOCK_CLASS = 0x41554454  # "AUDT"
MAX_FLOAT = 1e15  # larger floats come back from jsonb as integers, which would change the hash


def record(
    action: str,
    *,
    user=None,
    tenant=None,
    site=None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    target_name: str = "",
    details: Mapping | None = None,
    request=None,
) -> AuditEntry:
    """Append one entry to the audit log and return it.

    - `action`: a dotted verb (`device.added`, `config.pushed`, `auth.login_failed`).
    - `user`: the actor; by default the authenticated user of `request`.
    - `request`: source IP and user agent; by default the request being served
      (`audit.middleware.AuditRequestMiddleware`), none in tasks and commands.
    - `tenant` (a Tenant or its id): the chain. When omitted it is taken from the target's or the
      site's tenant; with neither, the entry is a platform event (visible to super admins only).
    - `site` (a Site or its id): taken from the target when its model names a site field. Entries
      with a site are what site-scoped members see.
    - `target` (a model instance) fills `target_type` (app_label.model), `target_id` and
      `target_name`; or give those three yourself.
    - `details`: a JSON-able mapping; secrets in it are masked before it is stored or hashed.
    """
    if not ACTION_RE.match(action) or len(action) > 64:
        raise ValueError(f"audit action {action!r}: use a dotted lowercase verb like 'device.added'.")
    request = request if request is not None else current_request()
    user = _request_user(request) if user is None else user
    if not getattr(user, "is_authenticated", False):
        user = None
    tenant_id, site_id = _tenant_and_site(tenant, site, target)
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or (target.pk if target.pk is not None else "")
        target_name = target_name or str(target)

    entry = AuditEntry(
        tenant_id=tenant_id,
        site_id=site_id,
        user_id=user.pk if user is not None else None,
        username=_text(user.get_username() if user is not None else "", 150),
        action=action,
        target_type=_text(target_type, 64),
        target_id=_text(target_id, 64),
        target_name=_text(target_name, 200),
        details=redact(json_safe(dict(details or {}))),
        ip=client_ip(request),
        user_agent=_text(request.META.get("HTTP_USER_AGENT", "") if request is not None else "", 512),
    )
    with transaction.atomic(savepoint=False), context.switched_to(context.AuditContext.for_chain(tenant_id)):
        entry.seq, entry.prev_hash, entry.created = _lock_chain_head(tenant_id)
        entry.row_hash = chain.row_hash(entry)
        entry.save(force_insert=True)
    return entry


def _lock_chain_head(tenant_id: uuid.UUID | None) -> tuple[int, str, datetime.datetime]:
    """Take the chain's lock, then read its head: (next seq, prev_hash, timestamp)."""
    with connection.cursor() as cursor:
        # A separate statement from the read below: under READ COMMITTED the read's snapshot is
        # taken after the lock is granted, so it sees the entry the previous holder committed.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [CHAIN_LOCK_CLASS, str(tenant_id or "platform")]
        )
        chain_filter = "tenant_id = %s" if tenant_id else "tenant_id IS NULL"
        cursor.execute(
            f"SELECT clock_timestamp(), head.seq, head.row_hash FROM (SELECT 1) AS one LEFT JOIN LATERAL "
            f"(SELECT seq, row_hash FROM {AuditEntry._meta.db_table} WHERE {chain_filter} "
            f"ORDER BY seq DESC LIMIT 1) AS head ON true",
            [tenant_id] if tenant_id else [],
        )
        now, seq, prev_hash = cursor.fetchone()
    return (seq or 0) + 1, prev_hash or chain.GENESIS, now


def _request_user(request):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def _id_of(value) -> uuid.UUID | None:
    if value is None:
        return None
    return uuid.UUID(str(value.pk if isinstance(value, models.Model) else value))


def _tenant_and_site(tenant, site, target) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    tenant_id, site_id = _id_of(tenant), _id_of(site)
    owners = [("site", getattr(site, "tenant_id", None)), ("target", getattr(target, "tenant_id", None))]
    for what, owner in owners:
        if owner is None:
            continue
        if tenant_id is None:
            tenant_id = owner
        elif owner != tenant_id:
            raise ValueError(f"audit record: the {what} belongs to another tenant than the entry.")
    if site_id is None and target is not None:
        site_id = _site_of(target)
    if site_id is not None and tenant_id is None:
        raise ValueError("audit record: an entry with a site needs its tenant.")
    return tenant_id, site_id


def _site_of(target: models.Model) -> uuid.UUID | None:
    field_name = getattr(target, "site_field", None)
    if not field_name or "__" in field_name:
        return None
    return getattr(target, target._meta.get_field(field_name).attname)


def _text(value, limit: int) -> str:
    # PostgreSQL text holds neither NUL nor lone surrogates; over-long values are cut, not refused.
    text = str(value).replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")[:limit]


def json_safe(value):
    """`value` in plain JSON types that survive a round trip through jsonb unchanged (so the
    stored entry hashes as it was hashed when written)."""
    if isinstance(value, Mapping):
        return {_text(key, 200): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= MAX_FLOAT:
            return repr(value)
        return value if value != 0 else 0.0  # jsonb has no negative zero
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, models.Model):
        return _text(value.pk, 200)
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    return _text(value, 10_000)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or with `TRUSTED_PROXY_COUNT` = n > 0 the address the
    outermost of our n proxies saw in X-Forwarded-For (entries left of it are client-supplied)."""
    if request is None:
        return None
    raw = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies > 0 and forwarded:
        raw = forwarded[max(0, len(forwarded) - proxies)]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


# --- Readers: the same scoping for the API and the HTML UI -------------------------------------


def entries_for(access, filters: Mapping | None = None) -> QuerySet[AuditEntry]:
    """A tenant's entries that `access` (tenants.access.TenantAccess) may read, newest first.

    Call inside the tenant's context (the base views set it). A role without the VIEW action gets
    none. A site-scoped member gets only entries of their sites: tenant-wide entries (membership
    changes, tenant settings, anything recorded without a site) describe the whole tenant, which
    such a membership deliberately does not cover.
    `filters` are AuditEntryFilterSet parameters (user, username, action, since, until, date_from,
    date_to, target, target_type, target_id, site, ip); invalid ones raise ValidationError.
    """
    return _filtered(AuditEntry.objects.restrict(access, Action.VIEW).order_by("-seq"), filters)


def platform_entries(user, filters: Mapping | None = None) -> QuerySet[AuditEntry]:
    """Platform entries (tenant NULL), newest first; none unless `user` is a super admin.

    Switches the platform audit context on for the rest of the current transaction.
    """
    if not getattr(user, "is_super_admin", False):
        return AuditEntry.objects.none()
    context.activate_platform_audit()
    return _filtered(AuditEntry.objects.filter(tenant__isnull=True).order_by("-seq"), filters)


def _filtered(entries: QuerySet[AuditEntry], filters: Mapping | None) -> QuerySet[AuditEntry]:
    if not filters:
        return entries
    filterset = AuditEntryFilterSet(filters, queryset=entries)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


# --- Hooks for the authentication flows (platform events about a user) -------------------------
# Password logins, logouts and failures are recorded from Django's signals (audit.signals), and
# so are failed codes entered through django-otp's forms; call these for the rest.


def two_factor_enabled(user, *, method: str = "totp", request=None) -> AuditEntry:
    return record("auth.2fa_enabled", user=user, target=user, details={"method": method}, request=request)


def two_factor_disabled(user, *, by=None, request=None) -> AuditEntry:
    """`by`: who switched it off when not the user (a super admin resetting a lost device)."""
    return record("auth.2fa_disabled", user=by or user, target=user, request=request)


def two_factor_verified(user, *, request=None) -> AuditEntry:
    return record("auth.2fa_verified", user=user, target=user, request=request)


def two_factor_failed(user, *, request=None) -> AuditEntry:
    """A wrong code (the code itself is never recorded)."""
    return record("auth.2fa_failed", user=user, target=user, request=request)


def recovery_code_used(user, *, request=None) -> AuditEntry:
    return record("auth.2fa_recovery_code_used", user=user, target=user, request=request)


# --- Verification ------------------------------------------------------------------------------


def verify_chain(tenant_id: uuid.UUID | None) -> chain.ChainReport:
    """Check one chain (a tenant's, or the platform's for None) inside that chain's context."""
    with transaction.atomic(), context.switched_to(context.AuditContext.for_chain(tenant_id)):
        entries = AuditEntry.objects.filter(tenant_id=tenant_id).order_by("seq")
        return chain.verify(entries.iterator(chunk_size=2000))
