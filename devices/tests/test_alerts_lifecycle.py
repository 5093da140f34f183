# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Rule evaluation on real polls of the simulator: consecutive samples before firing,
de-duplication, clear_after before resolving, flap damping (the same alert reopens), acknowledge
by an operator, default rules for every new tenant."""

import pytest

from devices.alerts import services, state
from devices.alerts.engine import evaluate_batch
from devices.models import Alert, AlertRule
from tenants.context import tenant_context
from tests.factories import make_tenant

from .alerts_support import access_of, fleet, sim, sim_device, world  # noqa: F401


def poll_and_evaluate(device) -> dict:
    """A real poll (in this test's transaction), then the evaluation the worker would run."""
    import time

    from devices.polling.tasks import poll_batch

    before = time.time()
    poll_batch(str(device.tenant_id), [str(device.pk)], [before])
    with tenant_context(device.tenant_id):
        return evaluate_batch(str(device.tenant_id), [str(device.pk)], before - 1).as_dict()


def alerts(device):
    with tenant_context(device.tenant_id):
        return list(Alert.objects.filter(device=device).order_by("started_at").values("id", "state", "flaps", "kind"))


@pytest.mark.django_db
def test_duration_dedup_clear_after_and_flap_damping(world, fleet):
    admin = access_of(world.users.alice, world.acme)
    device = sim_device(world.acme, fleet, 0)
    state.forget(str(world.acme.id))
    with tenant_context(world.acme.id):
        AlertRule.objects.update(enabled=False)  # only the rule under test
        rule = services.save_rule(
            admin, None, {"name": "Hot CPU", "kind": "cpu", "threshold": -1, "duration": 2, "clear_after": 2}
        )
    assert poll_and_evaluate(device)["fired"] == 0  # 1 breaching sample of 2
    assert poll_and_evaluate(device)["fired"] == 1
    assert poll_and_evaluate(device)["fired"] == 0  # still breaching: no second alert
    [first] = alerts(device)
    assert first["state"] == "firing"

    with tenant_context(world.acme.id):
        services.save_rule(admin, rule, {"threshold": 101})
    assert poll_and_evaluate(device)["resolved"] == 0  # 1 good sample of clear_after=2
    assert poll_and_evaluate(device)["resolved"] == 1
    assert [a["state"] for a in alerts(device)] == ["resolved"]

    with tenant_context(world.acme.id):
        services.save_rule(admin, rule, {"threshold": -1})
    poll_and_evaluate(device)
    assert poll_and_evaluate(device)["fired"] == 1
    [again] = alerts(device)  # came back within the flap window: the same alert, reopened
    assert again["id"] == first["id"] and again["state"] == "firing" and again["flaps"] == 1


@pytest.mark.django_db
def test_operator_acknowledges_viewer_may_not(world, fleet):
    from django.core.exceptions import PermissionDenied, ValidationError

    device = sim_device(world.acme, fleet, 1)
    state.forget(str(world.acme.id))
    with tenant_context(world.acme.id):
        services.save_rule(
            access_of(world.users.alice, world.acme), None, {"name": "Any CPU", "kind": "cpu", "threshold": -1}
        )
    poll_and_evaluate(device)
    with tenant_context(world.acme.id):
        alert = Alert.objects.get(device=device, kind="cpu")
        with pytest.raises(PermissionDenied):
            services.acknowledge(access_of(world.users.carol, world.acme), alert)
        alert = services.acknowledge(access_of(world.users.bob, world.acme), alert)
        assert alert.state == "acknowledged" and alert.acknowledged_by == world.users.bob
        with pytest.raises(ValidationError):
            services.acknowledge(access_of(world.users.bob, world.acme), alert)


@pytest.mark.django_db
def test_every_new_tenant_gets_the_default_rules(world):
    tenant = make_tenant("Initech", slug="initech")
    with tenant_context(tenant.id):
        kinds = sorted(AlertRule.objects.values_list("kind", flat=True))
        assert kinds == ["cpu", "disk", "memory", "offline", "wireless_signal"]
        assert AlertRule.objects.filter(is_default=True, enabled=True).count() == 5
