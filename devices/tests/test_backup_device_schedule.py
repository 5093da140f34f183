# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""A device's own backup interval: it overrides the tenant's policy in the scheduler's claim, 0
opts the device out for good; admins set it on the device (form and API, audited), others may not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from devices.backups.services import claim_due
from devices.models import Device
from devices.tests.inventory_support import api_url, world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import api_client, make_device

pytestmark = pytest.mark.django_db


def test_a_one_hour_override_is_due_while_the_others_are_not_and_opted_out_never(world):
    hourly = make_device(world.acme, world.north, name="hourly", backup_interval_hours=1)
    default = make_device(world.acme, world.north, name="default")
    never = make_device(world.acme, world.north, name="never", backup_interval_hours=0)
    with tenant_context(world.acme.id):
        first = claim_due(world.acme.id)
        nexts = dict(Device.objects.values_list("name", "next_backup_at"))
        # two hours pass: move every stamp the claim wrote two hours back
        Device.objects.exclude(next_backup_at=None).update(next_backup_at=F("next_backup_at") - timedelta(hours=2))
        second = claim_due(world.acme.id)
        third = claim_due(world.acme.id)
    now = timezone.now()
    assert sorted(first) == sorted([str(hourly.pk), str(default.pk)])  # never: not even the first time
    assert timedelta(minutes=56) < nexts["hourly"] - now < timedelta(minutes=64)  # 1 h ± 5 %
    assert timedelta(hours=5, minutes=40) < nexts["default"] - now < timedelta(hours=6, minutes=20)  # policy: 6 h
    assert nexts["never"] is None
    assert second == [str(hourly.pk)]
    assert third == []
    assert str(never.pk) not in first + second + third


def test_admin_sets_the_interval_over_the_api_audited_and_rescheduled(world):
    device = make_device(world.acme, world.north, name="edge")
    with tenant_context(world.acme.id):
        Device.objects.filter(pk=device.pk).update(next_backup_at=timezone.now() + timedelta(hours=5))
    detail = api_url("acme", f"devices/{device.pk}/")
    client = api_client(world.users.alice)
    assert client.get(detail).json()["backup_interval_hours"] is None  # the tenant's policy
    response = client.patch(detail, {"backup_interval_hours": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["backup_interval_hours"] == 1
    assert response.json()["next_backup_at"] is None  # due at the scheduler's next tick
    with tenant_context(world.acme.id):
        entry = AuditEntry.objects.filter(action="device.changed", user=world.users.alice).latest("seq")
        assert claim_due(world.acme.id) == [str(device.pk)]
    assert entry.details["changes"]["backup_interval_hours"] == [None, 1]
    assert client.patch(detail, {"backup_interval_hours": None}, format="json").json()["backup_interval_hours"] is None


@pytest.mark.parametrize("value", [-1, 721, "often"])
def test_bad_interval_is_a_400_naming_the_field(world, value):
    device = make_device(world.acme, world.north, name="edge")
    response = api_client(world.users.alice).patch(
        api_url("acme", f"devices/{device.pk}/"), {"backup_interval_hours": value}, format="json"
    )
    assert response.status_code == 400
    assert "backup_interval_hours" in response.json()["error"]["fields"]


def test_operator_may_not_change_it_by_api_or_forged_form(world):
    device = make_device(world.acme, world.north, name="edge")
    detail = api_url("acme", f"devices/{device.pk}/")
    assert api_client(world.users.bob).patch(detail, {"backup_interval_hours": 0}, format="json").status_code == 403
    client = Client()
    client.force_login(world.users.bob)
    forged = client.post(
        f"/t/acme/devices/{device.pk}/edit/", {"name": "edge", "host": device.host, "backup_interval_hours": 0}
    )
    assert forged.status_code == 403
    with tenant_context(world.acme.id):
        assert Device.objects.get(pk=device.pk).backup_interval_hours is None


def test_device_page_shows_the_schedule_and_the_edit_form_opts_out(world):
    device = make_device(world.acme, world.north, name="edge", protocol="api", fallback_protocols=[])
    admin = Client()
    admin.force_login(world.users.alice)
    page = admin.get(f"/t/acme/devices/{device.pk}/").content.decode()
    assert "every 6 h (tenant policy)" in page
    form = admin.get(f"/t/acme/devices/{device.pk}/edit/")
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update(backup_interval_hours="0", protocol="api", fallback_protocols="", tags="")
    data["site"] = str(world.north.pk)
    response = admin.post(f"/t/acme/devices/{device.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "never (opted out)" in admin.get(f"/t/acme/devices/{device.pk}/").content.decode()
    viewer = Client()
    viewer.force_login(world.users.carol)
    page = viewer.get(f"/t/acme/devices/{device.pk}/").content.decode()
    assert "never (opted out)" in page and "#id_backup_interval_hours" not in page
