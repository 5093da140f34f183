# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Cross-tenant: tenant A's rules never fire on B's devices, A's channels never receive B's alerts."""

import json

from devices.alerts import services
from devices.alerts.engine import evaluate_batch
from devices.models import Alert
from tenants.context import tenant_context

from .alerts_support import (  # noqa: F401
    Receiver,
    access_of,
    fleet,
    poll,
    receiver,
    sim,
    sim_device,
    wait_until,
    worker,
    world,
)


def test_a_tenants_rules_and_channels_never_see_another_tenants_device(world, worker, fleet, receiver):
    globex_hook = Receiver()
    try:
        acme_admin = access_of(world.users.alice, world.acme)
        globex_admin = access_of(world.users.erin, world.globex)
        with tenant_context(world.acme.id):
            services.save_channel(acme_admin, None, {"name": "Acme hook", "kind": "webhook"}, {"url": receiver.url})
            # a rule of A that would fire on any device at all
            services.save_rule(
                acme_admin, None, {"name": "Any CPU", "kind": "cpu", "threshold": -1, "severity": "critical"}
            )
        with tenant_context(world.globex.id):
            services.save_channel(
                globex_admin, None, {"name": "Globex hook", "kind": "webhook"}, {"url": globex_hook.url}
            )
        device = sim_device(world.globex, fleet, 1, site=world.east)
        fleet["fleet"].set_fault(1, "offline")
        poll(device)
        request = globex_hook.wait_for(lambda r: True)
        assert json.loads(request["body"])["tenant"]["slug"] == "globex"
        fleet["fleet"].set_fault(1, None)
        poll(device)
        globex_hook.wait_for(lambda r: json.loads(r["body"])["event"] == "resolved")

        with tenant_context(world.acme.id):
            assert Alert.objects.count() == 0
            # even handed B's device ids in A's context, A's evaluation sees no device of B
            report = evaluate_batch(str(world.acme.id), [str(device.pk)], 0)
            assert (report.devices, report.checks, report.fired) == (0, 0, 0)
        with tenant_context(world.globex.id):
            assert {a.rule.tenant_id for a in Alert.objects.select_related("rule")} == {world.globex.id}
        assert receiver.requests == []
    finally:
        globex_hook.close()
