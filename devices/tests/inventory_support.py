"""Shared fixtures and helpers of the inventory tests (import the fixtures you use by name).

`worker`: a real Celery worker on this test database's queue. `sim`: a simulated fleet (API,
API-SSL, REST, SSH) for the module. `wait_for_check`: polls a check over the API until it is done.
"""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from devices.simulator.testing import running_fleet
from mikman.celery import app
from tests.conftest import world  # noqa: F401 - the shared cast, re-exported for the inventory tests

SIM_PASSWORD = "sim-admin"


@pytest.fixture
def worker(transactional_db):
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[app.conf.task_default_queue]
    ):
        yield


@pytest.fixture(scope="module")
def sim():
    with running_fleet(count=4, seed=7, protocols=("api", "api-ssl", "rest", "ssh")) as info:
        yield info


@pytest.fixture
def fleet(sim):
    """The module's fleet with every fault cleared before and after the test."""
    indices = [d["index"] for d in sim["devices"]]
    sim["fleet"].set_fault(indices, None)
    yield sim
    sim["fleet"].set_fault(indices, None)


def api_url(tenant: str, path: str) -> str:
    return f"/api/v1/tenants/{tenant}/{path}"


def wait_for_check(client, url: str, timeout: float = 40.0) -> dict:
    """GET the check until it is succeeded or failed; returns its body."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen.append(body["state"])
        if body["state"] in ("succeeded", "failed"):
            body["_states_seen"] = seen
            return body
        time.sleep(0.1)
    raise AssertionError(f"check not done within {timeout}s (states: {seen[-5:]})")
