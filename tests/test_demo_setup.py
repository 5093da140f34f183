"""`manage.py demo_setup`: the demo tenant `make run` pre-registers — idempotent, RLS-correct,
re-addressed when the simulator's layout changes, and its devices really come online."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from audit.models import AuditEntry
from devices.models import CredentialProfile, Device
from devices.simulator.testing import running_fleet
from tenants.context import tenant_context
from tenants.models import Membership, Site, Tenant
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.django_db


def demo_setup(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_setup", *args, stdout=out)
    return out.getvalue()


def test_demo_setup_is_idempotent_and_stays_in_its_tenant():
    root = make_user("superadmin", super_admin=True)
    other = make_tenant("Other", slug="other")
    first = demo_setup("--count", "4", "--mode", "addresses")
    assert "4 device(s) added, 0 re-addressed, 0 unchanged" in first and "superadmin is its admin" in first
    again = demo_setup("--count", "4", "--mode", "addresses")
    assert "0 device(s) added, 0 re-addressed, 4 unchanged" in again
    assert "sim-admin" not in first + again

    demo = Tenant.objects.get(slug="demo")
    assert Membership.objects.get(tenant=demo, user=root).role == "admin"
    with tenant_context(demo.id):
        devices = list(Device.objects.order_by("host"))
        assert [d.host for d in devices] == ["127.1.0.1", "127.1.0.2", "127.1.0.3", "127.1.0.4"]
        assert {d.tenant_id for d in devices} == {demo.id}
        assert {d.site.slug for d in devices} == {"hq", "branch"}
        assert all(d.protocol == "api" and d.api_port == 8728 and "simulated" in d.tags for d in devices)
        assert Site.objects.count() == 2 and CredentialProfile.objects.count() == 1
        profile = CredentialProfile.objects.get()
        assert profile.username == "admin" and profile.password is not None
        assert {d.credential_profile_id for d in devices} == {profile.pk}
        assert AuditEntry.objects.filter(action="device.added").count() == 4

    # Row-level security: another tenant's context, and no context, see none of it.
    with tenant_context(other.id):
        assert Device.objects.count() == 0 and CredentialProfile.objects.count() == 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM devices_device")
        assert cursor.fetchone()[0] == 0


def test_demo_devices_follow_the_simulators_layout():
    make_user("root", super_admin=True)
    demo_setup("--count", "3", "--mode", "addresses")
    out = demo_setup("--count", "3", "--mode", "ports", "--api-port", "30100")
    assert "3 re-addressed" in out
    demo = Tenant.objects.get(slug="demo")
    with tenant_context(demo.id):
        assert sorted(Device.objects.values_list("host", "api_port")) == [
            ("127.0.0.1", 30100),
            ("127.0.0.1", 30101),
            ("127.0.0.1", 30102),
        ]


def test_demo_setup_needs_a_super_admin_and_sane_arguments():
    with pytest.raises(CommandError, match="bootstrap_admin"):
        demo_setup("--count", "2")
    make_user("root", super_admin=True)
    with pytest.raises(CommandError, match="--count"):
        demo_setup("--count", "0")
    assert not Tenant.objects.filter(slug="demo").exists()


def test_demo_devices_come_online_against_the_simulator():
    """The same layout `make run` starts: the registered devices poll successfully."""
    from devices.polling.tasks import poll_batch

    make_user("root", super_admin=True)
    with running_fleet(count=3, seed=1, protocols=("api",)) as info:
        demo_setup("--count", "3", "--seed", "1", "--mode", info["mode"], "--api-port", str(info["ports"]["api"]))
        demo = Tenant.objects.get(slug="demo")
        with tenant_context(demo.id):
            ids = [str(pk) for pk in Device.objects.values_list("pk", flat=True)]
        result = poll_batch(str(demo.id), ids, [time.time()] * len(ids))
        assert result["ok"] == 3, result
        with tenant_context(demo.id):
            devices = list(Device.objects.all())
        assert {d.status for d in devices} == {"online"}
        assert {d.name for d in devices} == {d["identity"] for d in info["devices"]}
