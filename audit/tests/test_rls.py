"""Row-level security on the audit table, checked with raw SQL as the app role."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.context import activate_platform_audit
from audit.services import record
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db


def _visible(sql="SELECT tenant_id, action FROM audit_auditentry WHERE action LIKE 'probe.%%'"):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.fixture
def probes(world):
    return {
        "acme": record("probe.acme", tenant=world.acme),
        "globex": record("probe.globex", tenant=world.globex),
        "platform": record("probe.platform"),
    }


def test_a_tenant_sees_only_its_own_entries(world, probes):
    with tenant_context(world.globex.id):
        assert _visible() == [(world.globex.id, "probe.globex")]
    with tenant_context(world.acme.id):
        assert _visible() == [(world.acme.id, "probe.acme")]


def test_no_context_sees_nothing(world, probes):
    with transaction.atomic():
        assert _visible() == []


def test_platform_entries_need_the_platform_switch(world, probes):
    with tenant_context(world.acme.id):
        assert (None, "probe.platform") not in _visible()
    with transaction.atomic():
        activate_platform_audit()
        assert _visible() == [(None, "probe.platform")]  # and no tenant's entries


@pytest.mark.django_db(transaction=True)  # real transactions, not savepoints of the test's own
def test_the_platform_switch_is_transaction_local(world, probes):
    with transaction.atomic():
        activate_platform_audit()
    with transaction.atomic():
        assert _visible() == []


def test_writing_another_tenants_entry_is_refused(world):
    with tenant_context(world.acme.id):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO audit_auditentry (id, tenant_id, seq, created, username, action, target_type, "
                    "target_id, target_name, details, user_agent, prev_hash, row_hash) VALUES (gen_random_uuid(), "
                    "%s, 999, now(), '', 'forged.entry', '', '', '', '{}', '', '', '')",
                    [world.globex.id],
                )


def test_a_platform_entry_cannot_be_slipped_in_from_a_tenant(world):
    with tenant_context(world.acme.id):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO audit_auditentry (id, tenant_id, seq, created, username, action, target_type, "
                    "target_id, target_name, details, user_agent, prev_hash, row_hash) VALUES (gen_random_uuid(), "
                    "NULL, 999, now(), '', 'forged.entry', '', '', '', '{}', '', '', '')"
                )
