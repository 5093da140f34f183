"""audit_verify: OK on an intact log; the first broken link after tampering as the owner."""

import io

import pytest
from django.core.management import CommandError, call_command

from audit.services import record

pytestmark = pytest.mark.django_db(transaction=True)


def _verify(*args) -> tuple[str, str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def _tamper(owner_db, tenant, sql: str, params=()) -> None:
    """What a person with the owner's password could do: switch maintenance on and edit."""
    with owner_db.transaction():
        owner_db.execute("SELECT set_config('mikman.audit_maintenance', 'on', true)")
        owner_db.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.id)])
        owner_db.execute(sql, params)


def _chain_sizes(world) -> dict:
    from django.db import connection, transaction

    from audit.context import AuditContext, apply

    sizes = {}
    for key, tenant_id in (("platform", None), ("acme", world.acme.id), ("globex", world.globex.id)):
        with transaction.atomic(), connection.cursor() as cursor:
            apply(AuditContext.for_chain(tenant_id))
            cursor.execute("SELECT count(*) FROM audit_auditentry")
            sizes[key] = cursor.fetchone()[0]
    return sizes


def test_intact_log_is_ok(world):
    record("device.added", tenant=world.acme, details={"name": "r1"})
    sizes = _chain_sizes(world)
    out, err, failure = _verify()
    assert failure is None, err
    assert out.strip() == f"OK: {sum(sizes.values())} entries in 3 chains"


def test_changed_row_is_reported(world, owner_db):
    record("device.added", tenant=world.acme, details={"name": "r1"})
    victim = record("device.removed", tenant=world.acme, details={"name": "r1"})
    record("device.added", tenant=world.acme, details={"name": "r2"})
    _tamper(owner_db, world.acme, "UPDATE audit_auditentry SET username = 'nobody' WHERE id = %s", [victim.id])

    out, err, failure = _verify()
    assert failure is not None
    assert f"tenant acme at seq {victim.seq} (id {victim.id})" in err
    assert "content does not match" in err
    assert "globex" not in err and "platform" not in err


def test_removed_row_is_reported_at_the_gap(world, owner_db):
    record("device.added", tenant=world.acme)
    gone = record("device.added", tenant=world.acme)
    after = record("device.added", tenant=world.acme)
    _tamper(owner_db, world.acme, "DELETE FROM audit_auditentry WHERE id = %s", [gone.id])

    _, err, failure = _verify("--tenant", "acme")
    assert failure is not None
    assert f"at seq {after.seq} (id {after.id})" in err


def test_rehashed_row_breaks_the_next_link(world, owner_db):
    from audit import chain
    from audit.models import AuditEntry
    from tenants.context import tenant_context

    victim = record("device.added", tenant=world.acme, details={"name": "r1"})
    following = record("device.added", tenant=world.acme)
    with tenant_context(world.acme.id):
        forged = AuditEntry.objects.get(pk=victim.pk)
    forged.details = {"name": "innocent"}
    new_hash = chain.row_hash(forged)
    _tamper(
        owner_db,
        world.acme,
        "UPDATE audit_auditentry SET details = %s::jsonb, row_hash = %s WHERE id = %s",
        ['{"name": "innocent"}', new_hash, victim.id],
    )
    _, err, failure = _verify("--tenant", "acme")
    assert failure is not None
    assert f"at seq {following.seq} (id {following.id}): prev_hash" in err


def test_tenant_option_checks_one_chain(world, owner_db):
    victim = record("device.added", tenant=world.acme)
    _tamper(owner_db, world.acme, "UPDATE audit_auditentry SET action = 'device.removed' WHERE id = %s", [victim.id])
    out, err, failure = _verify("--tenant", "globex")
    assert failure is None and out.startswith("OK: ")
    assert _verify("--tenant", "acme")[2] is not None


def test_unknown_tenant_is_an_error(world):
    assert "No tenant" in str(_verify("--tenant", "nope")[2])


def test_verbose_prints_chain_heads(world):
    head = record("device.added", tenant=world.globex)
    out = io.StringIO()
    call_command("audit_verify", "--tenant", "globex", verbosity=2, stdout=out)
    assert f"tenant globex: {head.seq} entries, head seq {head.seq} {head.row_hash}" in out.getvalue()
