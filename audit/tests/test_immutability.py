"""The log cannot be changed or emptied: not by the app role, not by the owner."""

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry, AuditLogIsAppendOnly
from audit.services import record
from tenants.context import tenant_context


@pytest.mark.django_db
def test_app_role_holds_insert_and_select_only():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege, has_table_privilege(current_user, 'audit_auditentry', privilege) "
            "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS privilege"
        )
        assert dict(cursor.fetchall()) == {
            "SELECT": True,
            "INSERT": True,
            "UPDATE": False,
            "DELETE": False,
            "TRUNCATE": False,
        }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET action = 'x.y' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
        "TRUNCATE audit_auditentry",
    ],
)
def test_app_role_cannot_change_the_log(world, statement):
    entry = record("device.added", tenant=world.acme)
    with tenant_context(world.acme.id):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                # the maintenance switch is no help to the app role
                cursor.execute("SELECT set_config('mikman.audit_maintenance', 'on', true)")
                cursor.execute(statement, [entry.id] if "%s" in statement else [])
        assert AuditEntry.objects.filter(pk=entry.pk, action="device.added").exists()


@pytest.mark.django_db
def test_orm_refuses_updates_and_deletes(world):
    entry = record("device.added", tenant=world.acme)
    with tenant_context(world.acme.id):
        with pytest.raises(AuditLogIsAppendOnly):
            entry.save()
        with pytest.raises(AuditLogIsAppendOnly):
            entry.delete()
        with pytest.raises(AuditLogIsAppendOnly):
            AuditEntry.objects.filter(pk=entry.pk).update(action="x.y")
        with pytest.raises(AuditLogIsAppendOnly):
            AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET action = 'x.y' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
        "TRUNCATE audit_auditentry",
    ],
)
def test_owner_cannot_change_the_log(world, owner_db, statement):
    entry = record("device.added", tenant=world.acme)
    with owner_db.transaction():
        owner_db.execute("SELECT set_config('app.tenant_id', %s, true)", [str(world.acme.id)])
        assert owner_db.execute("SELECT count(*) FROM audit_auditentry WHERE id = %s", [entry.id]).fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"), owner_db.transaction():
            owner_db.execute(statement, [entry.id] if "%s" in statement else [])
        row = owner_db.execute("SELECT action FROM audit_auditentry WHERE id = %s", [entry.id]).fetchone()
    assert row == ("device.added",)


@pytest.mark.django_db(transaction=True)
def test_maintenance_switch_is_transaction_local(world, owner_db):
    entry = record("device.added", tenant=world.acme)
    with owner_db.transaction():
        owner_db.execute("SELECT set_config('mikman.audit_maintenance', 'on', true)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), owner_db.transaction():
        owner_db.execute("SELECT set_config('app.tenant_id', %s, true)", [str(world.acme.id)])
        owner_db.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.id])
