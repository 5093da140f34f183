"""Celery tasks run in their tenant's context on a real worker, and carry nothing into the next task."""

import pytest
from celery.contrib.testing.worker import start_worker

from mikman.celery import app
from tenants.tasks import tenant_probe, untenanted_probe


@pytest.fixture
def worker(transactional_db):
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[app.conf.task_default_queue]
    ):
        yield


@pytest.mark.django_db(transaction=True)
def test_task_sees_only_its_tenant_and_nothing_after(world, worker):
    a = tenant_probe.delay(str(world.acme.id)).get(timeout=20)
    assert a["setting"] == str(world.acme.id)
    assert a["sites"] == ["North", "South"]
    b = tenant_probe.delay(str(world.globex.id)).get(timeout=20)
    assert b["sites"] == ["East"]
    after = untenanted_probe.delay().get(timeout=20)  # same worker, same pooled connection
    assert after == {"setting": "", "sites": 0}


def test_task_without_tenant_is_refused():
    with pytest.raises(ValueError, match="tenant_id"):
        tenant_probe("")
