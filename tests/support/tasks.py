"""Tasks that exist only in the test settings (tests.support is installed there alone)."""

import logging

from celery import shared_task

from tenants.tasks import TenantTask

log = logging.getLogger("mikman.tests.probe")


@shared_task(base=TenantTask, bind=True, name="tests.log_probe")
def log_probe(self, tenant_id: str, message: str) -> str:
    """Logs one line inside the tenant's context; returns the task id (tests/ops/test_request_ids.py)."""
    log.info(message)
    return self.request.id
