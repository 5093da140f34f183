# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""The newcomer's loop of `make run`, through the UI only: the device page's Simulator panel fails
a simulated router (over the simulator's real control endpoint), a real poll and worker raise the
offline alert, the platform's own receiver (a live server) accepts the signed webhook and shows it;
healing the router resolves it. Viewers get no panel and a 403; forged posts are refused."""

import json

import pytest
from django.test import Client

from audit.models import AuditEntry
from devices.alerts import demo
from devices.alerts.state import client as redis
from devices.simulator.testing import running_fleet
from tenants.context import tenant_context

from .alerts_support import access_of, poll, sim_device, wait_until, worker, world  # noqa: F401


@pytest.fixture(scope="module")
def controlled():
    with running_fleet(count=2, seed=12, protocols=("api",), control_port=0) as info:
        yield info


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_fail_a_simulated_router_from_its_page_and_see_the_signed_alert_arrive(world, worker, controlled, live_server):
    device = sim_device(world.acme, controlled, 0, site=world.north)
    admin_access = access_of(world.users.alice, world.acme)
    demo.configure(admin_access, controlled["control_url"], {device.name: 0}, live_server.url)
    redis().delete(f"{demo.RECEIVED_KEY}{world.acme.pk}")
    page = f"/t/acme/devices/{device.pk}/"
    action = f"/t/acme/alerts/simulator/{device.pk}/"
    receiver = "/t/acme/alerts/receiver/"
    admin, viewer = client_for(world.users.alice), client_for(world.users.carol)

    assert "Make it fail" in admin.get(page).content.decode()
    assert "Make it fail" not in viewer.get(page).content.decode()
    assert viewer.post(action, {"fault": "offline"}).status_code == 403
    assert admin.post(action, {"fault": "melt"}).status_code == 400

    assert poll(device)["ok"] == 1
    assert admin.post(action, {"fault": "offline"}).status_code == 302
    assert poll(device)["failed"] == 1
    wait_until(lambda: "firing" in viewer.get(receiver).content.decode(), 20, "the signed alert at the receiver")
    stored = demo.received(world.acme.pk)
    assert stored[0]["event"] == "firing" and stored[0]["signature"] == "valid"
    assert json.loads(stored[0]["body"])["alert"]["device"]["name"] == device.name

    assert admin.post(action, {"fault": ""}).status_code == 302
    assert poll(device)["ok"] == 1
    wait_until(lambda: demo.received(world.acme.pk)[0]["event"] == "resolved", 20, "the resolution at the receiver")
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(action="device.simulator_fault").count() == 2

    # nobody writes to the receiver without the channel's secret; another tenant has none
    forged = Client().post(
        "/alerts/demo-receiver/acme/",
        b'{"event": "firing"}',
        content_type="application/json",
        HTTP_X_MIKMAN_TIMESTAMP="1",
        HTTP_X_MIKMAN_SIGNATURE="sha256=00",
    )
    assert forged.status_code == 401
    assert Client().post("/alerts/demo-receiver/globex/", b"{}", content_type="application/json").status_code == 404
    assert len(demo.received(world.acme.pk)) == 2 and demo.received(world.globex.pk) == []
    # the Receiver tab shows only where a "Demo receiver" channel delivers to it
    assert ">Receiver</a>" in viewer.get("/t/acme/alerts/").content.decode()
    assert ">Receiver</a>" not in client_for(world.users.erin).get("/t/globex/alerts/").content.decode()
