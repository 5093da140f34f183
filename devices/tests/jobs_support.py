"""Helpers of the jobs tests: simulated devices registered in acme, waiting for a job to finish."""

from __future__ import annotations

import time

from tests.factories import make_credential_profile, make_device, sim_device_fields

FINAL = ("succeeded", "failed", "partially_failed", "cancelled")


def sim_devices(world, fleet, count: int = 3, site=None, prefix: str = "r"):
    """`count` acme devices that reach the fleet's devices over the plain API."""
    profile = make_credential_profile(world.acme, f"{prefix}-routers", username="admin", password="sim-admin")
    return [
        make_device(
            world.acme,
            site or world.north,
            name=f"{prefix}{i}",
            credential_profile=profile,
            protocol="api",
            fallback_protocols=[],
            **sim_device_fields(fleet["devices"][i]),
        )
        for i in range(count)
    ]


def wait_for_job(client, tenant: str, job_id, timeout: float = 40.0, until=FINAL) -> dict:
    deadline = time.monotonic() + timeout
    body = {}
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/tenants/{tenant}/jobs/{job_id}/")
        assert response.status_code == 200, response.content
        body = response.json()
        if body["state"] in until:
            return body
        time.sleep(0.1)
    raise AssertionError(f"job not {until} within {timeout}s: {body}")


def rows_by_name(job: dict) -> dict[str, dict]:
    return {row["device_name"]: row for row in job["devices"]}
