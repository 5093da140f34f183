"""Concurrent writers of one chain queue on its lock: no fork, no gap, no duplicate seq."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from audit.models import AuditEntry
from audit.services import record, verify_chain
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6
PER_THREAD = 15


def _hammer(tenant, barrier, errors, per_transaction):
    try:
        barrier.wait()
        for batch in range(PER_THREAD // per_transaction):
            with transaction.atomic():
                for _ in range(per_transaction):
                    record("load.test", tenant=tenant, details={"batch": batch})
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.parametrize("per_transaction", [1, 5])
def test_parallel_writers_keep_one_unbroken_chain(world, per_transaction):
    barrier, errors = threading.Barrier(THREADS * 2), []
    threads = [
        threading.Thread(target=_hammer, args=(tenant, barrier, errors, per_transaction))
        for tenant in [world.acme] * THREADS + [None] * THREADS  # one tenant's chain and the platform's
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for tenant_id in (world.acme.id, None):
        report = verify_chain(tenant_id)
        assert report.broken is None
    with tenant_context(world.acme.id):
        seqs = list(AuditEntry.objects.filter(tenant=world.acme).values_list("seq", flat=True).order_by("seq"))
        assert AuditEntry.objects.filter(action="load.test").count() == THREADS * PER_THREAD
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_second_entry_with_the_same_seq_is_refused(world):
    first = record("device.added", tenant=world.acme)
    with tenant_context(world.acme.id), pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditentry (id, tenant_id, seq, created, username, action, target_type, "
                "target_id, target_name, details, user_agent, prev_hash, row_hash) VALUES (gen_random_uuid(), "
                "%s, %s, now(), '', 'forked.entry', '', '', '', '{}', '', %s, '')",
                [world.acme.id, first.seq, first.prev_hash],
            )
