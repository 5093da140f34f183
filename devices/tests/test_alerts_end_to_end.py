# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""A simulated router fails → a real poll → a real worker evaluates the default offline rule →
the alert fires → a local HTTP server receives the signed webhook → the fault clears → the
alert resolves and the resolution is delivered too."""

import json

from devices.alerts import services
from devices.models import Alert, Delivery
from tenants.context import tenant_context

from .alerts_support import (  # noqa: F401
    SIGNING_SECRET,
    access_of,
    fleet,
    poll,
    receiver,
    sim,
    sim_device,
    valid_signature,
    wait_until,
    worker,
    world,
)


def open_alerts(tenant, device):
    with tenant_context(tenant.id):
        return list(Alert.objects.filter(device=device).values("state", "kind", "rule__name", "resolved_at"))


def test_offline_fires_webhook_and_resolves(world, worker, fleet, receiver):
    admin = access_of(world.users.alice, world.acme)
    with tenant_context(world.acme.id):
        services.save_channel(
            admin, None, {"name": "Ops hook", "kind": "webhook"}, {"url": receiver.url, "secret": SIGNING_SECRET}
        )
    device = sim_device(world.acme, fleet, 0, site=world.north)

    assert poll(device)["ok"] == 1
    fleet["fleet"].set_fault(0, "offline")
    assert poll(device)["failed"] == 1

    fired = receiver.wait_for(lambda r: json.loads(r["body"])["event"] == "firing")
    assert valid_signature(fired)
    body = json.loads(fired["body"])
    assert body["alert"]["kind"] == "offline" and body["alert"]["device"]["name"] == device.name
    assert body["tenant"]["slug"] == "acme"
    assert SIGNING_SECRET not in fired["body"].decode() and "sim-admin" not in fired["body"].decode()
    alerts = open_alerts(world.acme, device)
    assert [(a["state"], a["kind"]) for a in alerts] == [("firing", "offline")]

    fleet["fleet"].set_fault(0, None)
    assert poll(device)["ok"] == 1
    resolved = receiver.wait_for(lambda r: json.loads(r["body"])["event"] == "resolved")
    assert valid_signature(resolved)
    assert json.loads(resolved["body"])["alert"]["state"] == "resolved"
    assert [a["state"] for a in open_alerts(world.acme, device)] == ["resolved"]

    def deliveries():
        with tenant_context(world.acme.id):
            return sorted(Delivery.objects.values_list("event", "state", "codes"))

    wait_until(lambda: all(d[1] == "sent" for d in deliveries()), what="deliveries recorded")
    assert deliveries() == [("firing", "sent", [200]), ("resolved", "sent", [200])]


def test_an_offline_device_that_stays_offline_alerts_once(world, worker, fleet, receiver):
    admin = access_of(world.users.alice, world.acme)
    with tenant_context(world.acme.id):
        services.save_channel(admin, None, {"name": "Ops hook", "kind": "webhook"}, {"url": receiver.url})
    device = sim_device(world.acme, fleet, 1)
    fleet["fleet"].set_fault(1, "offline")
    for _ in range(3):
        poll(device)
    receiver.wait_for(lambda r: True)
    wait_until(lambda: len(open_alerts(world.acme, device)) == 1, what="one alert")
    assert len(open_alerts(world.acme, device)) == 1
    assert receiver.events() == ["firing"]
