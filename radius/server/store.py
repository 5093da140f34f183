"""The RADIUS server's database writes, batched: auth log, sessions, profile starts, bindings.

Everything here runs on the server's single database thread, one transaction per tenant with
that tenant's context set (RLS applies as everywhere else). Sessions are upserted on
(tenant, NAS, Acct-Session-Id) with counters that only grow and a closed session that stays
closed, so applying the same accounting packet twice — a retransmission, a replayed batch after a
failed flush — changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from tenants.context import tenant_context

SESSION_UPSERT = """
INSERT INTO radius_session (id, tenant_id, user_id, username, nas_id, acct_session_id, calling_station_id,
    nas_port_id, framed_ip, started_at, updated_at, ended_at, uptime_s, download_bytes, upload_bytes, status,
    terminate_cause, throttled_rate_limit, coa_result)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (tenant_id, nas_id, acct_session_id) DO UPDATE SET
    updated_at = GREATEST(radius_session.updated_at, EXCLUDED.updated_at),
    uptime_s = GREATEST(radius_session.uptime_s, EXCLUDED.uptime_s),
    download_bytes = GREATEST(radius_session.download_bytes, EXCLUDED.download_bytes),
    upload_bytes = GREATEST(radius_session.upload_bytes, EXCLUDED.upload_bytes),
    ended_at = COALESCE(radius_session.ended_at, EXCLUDED.ended_at),
    status = CASE WHEN radius_session.status = 'closed' THEN 'closed' ELSE EXCLUDED.status END,
    terminate_cause = CASE WHEN radius_session.terminate_cause <> '' THEN radius_session.terminate_cause
                           ELSE EXCLUDED.terminate_cause END,
    framed_ip = COALESCE(EXCLUDED.framed_ip, radius_session.framed_ip),
    throttled_rate_limit = CASE WHEN EXCLUDED.coa_result <> '' THEN EXCLUDED.throttled_rate_limit
                                ELSE radius_session.throttled_rate_limit END,
    coa_result = CASE WHEN EXCLUDED.coa_result <> '' THEN EXCLUDED.coa_result ELSE radius_session.coa_result END,
    user_id = COALESCE(radius_session.user_id, EXCLUDED.user_id)
"""
# One statement per batch (COPY is refused on tables with row-level security).
AUTHLOG_INSERT = """
INSERT INTO radius_authlog (id, tenant_id, at, username, nas_id, calling_station_id, auth_method, result, reason)
SELECT gen_random_uuid(), %s, * FROM unnest(%s::timestamptz[], %s::text[], %s::uuid[], %s::text[], %s::text[],
                                             %s::text[], %s::text[])
"""


@dataclass
class TenantBatch:
    """What one tenant has to write. Rows are plain tuples snapshotted on the event loop."""

    auth_logs: list[tuple] = field(default_factory=list)  # (at, username, nas_id, calling, method, result, reason)
    sessions: dict = field(default_factory=dict)  # key → row tuple (see session_row)
    queue: dict = field(default_factory=dict)  # user-profile id → (state, started_at, ends_at)
    bindings: list[tuple] = field(default_factory=list)  # (user_id, username, caller_id)
    nas_reboots: list[tuple] = field(default_factory=list)  # (nas_id, at)
    disconnects: list[tuple] = field(default_factory=list)  # (username, session id, nas name, cause, result)
    rate_changes: list[tuple] = field(default_factory=list)  # (username, session id, nas name, rate, result)

    def __bool__(self) -> bool:
        return bool(
            self.auth_logs
            or self.sessions
            or self.queue
            or self.bindings
            or self.nas_reboots
            or self.disconnects
            or self.rate_changes
        )


def session_row(tenant_id, nas_id, state) -> tuple:
    return (
        uuid.uuid4(),
        tenant_id,
        state.user_id,
        state.username[:64],
        nas_id,
        state.key[1][:64],
        state.calling_station_id[:64],
        state.nas_port_id[:64],
        state.framed_ip,
        state.started_at,
        state.updated_at,
        state.ended_at,
        state.uptime_s,
        state.download,
        state.upload,
        "active" if state.active else "closed",
        state.terminate_cause[:64],
        state.throttled_rate_limit[:64],
        state.coa_result[:8],
    )


def _write_tenant(tenant_id, batch: TenantBatch) -> None:
    from audit.services import record
    from radius.models import RadiusUser, UserProfile

    with tenant_context(tenant_id), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor: batched statements without per-row ORM cost
        if batch.auth_logs:
            columns = list(zip(*batch.auth_logs, strict=True))
            raw.execute(
                AUTHLOG_INSERT,
                [
                    tenant_id,
                    list(columns[0]),
                    [v[:64] for v in columns[1]],
                    list(columns[2]),
                    [v[:64] for v in columns[3]],
                    [v[:8] for v in columns[4]],
                    list(columns[5]),
                    list(columns[6]),
                ],
            )
        if batch.sessions:
            # a fixed order: two workers writing the same sessions never deadlock
            raw.executemany(SESSION_UPSERT, sorted(batch.sessions.values(), key=lambda r: (str(r[4]), r[5])))
        for nas_id, at in batch.nas_reboots:
            # only sessions begun before the Accounting-On: a login after the reboot whose Start
            # is in this same batch (written just above) stays open
            raw.execute(
                "UPDATE radius_session SET status = 'closed', ended_at = %s, updated_at = %s, "
                "terminate_cause = 'nas-reboot' WHERE tenant_id = %s AND nas_id = %s AND status = 'active' "
                "AND started_at <= %s",
                [at, at, tenant_id, nas_id, at],
            )
        for up_id, (state, started_at, ends_at) in sorted(batch.queue.items(), key=lambda item: str(item[0])):
            UserProfile.objects.filter(tenant_id=tenant_id, pk=up_id).update(
                state=state, started_at=started_at, ends_at=ends_at
            )
        for username, session_id, nas_name, cause, result in batch.disconnects:
            record(
                "radius.session.disconnected",
                tenant=tenant_id,
                target_type="radius.session",
                target_id=session_id,
                target_name=username,
                details={"nas": nas_name, "cause": cause, "result": result},
            )
        for username, session_id, nas_name, rate, result in batch.rate_changes:
            record(
                "radius.session.throttled",
                tenant=tenant_id,
                target_type="radius.session",
                target_id=session_id,
                target_name=username,
                details={"nas": nas_name, "rate_limit": rate, "result": result},
            )
        for user_id, username, caller_id in batch.bindings:
            bound = RadiusUser.objects.filter(tenant_id=tenant_id, pk=user_id, caller_id="").update(caller_id=caller_id)
            if bound:
                record(
                    "radius.user.caller_id_bound",
                    tenant=tenant_id,
                    target_type="radius.radiususer",
                    target_id=str(user_id),
                    target_name=username,
                    details={"caller_id": caller_id},
                )


def write(batches: dict) -> dict:
    """Write every tenant's batch; returns {tenant_id: exception} for the ones that failed (their
    transaction rolled back as a whole, so the caller may retry them as they are)."""
    close_old_connections()
    failed = {}
    for tenant_id, batch in batches.items():
        try:
            _write_tenant(tenant_id, batch)
        except Exception as exc:  # noqa: BLE001 - one tenant's failure must not lose the others' writes
            failed[tenant_id] = exc
    return failed


def close() -> None:
    connection.close()
