# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Generated from the URL conf: every HTML route under /t/<tenant>/ × GET/POST. A member of
another tenant gets 404 (never a 403 that would confirm the tenant exists) and no foreign data;
an object id of another tenant used under one's own tenant is a 404 too. New tenant pages are
covered without anyone remembering to add them here."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tenants.models import Membership
from tests.conftest import world  # noqa: F401


def _tenant_routes(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _tenant_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("t/<slug:tenant>/"):
            yield route


ROUTES = sorted(set(_tenant_routes()))


def _url(route: str, tenant: str, ids: dict) -> str:
    path = route.replace("<slug:tenant>", tenant)
    for name, value in ids.items():
        path = path.replace(f"<uuid:{name}>", str(value))
    assert "<" not in path, f"{route}: add a sample id for this converter to the isolation test"
    return "/" + path


def _inventory_ids(tenant, site) -> dict:
    """inventory (issue 4): a device, its connectivity check and a credential profile of `tenant`."""
    from devices.models import ConnectivityCheck
    from tenants.context import tenant_context
    from tests.factories import make_credential_profile, make_device

    device = make_device(tenant, site)
    with tenant_context(tenant.id):
        check = ConnectivityCheck.objects.create(tenant=tenant, device=device)
    return {"device_id": device.pk, "check_id": check.pk, "profile_id": make_credential_profile(tenant).pk}


def _alert_ids(tenant, site) -> dict:
    """alerts (issue 6): an alert, a rule, a channel and a maintenance window of `tenant`."""
    from django.utils import timezone

    from devices.models import Alert, AlertRule, MaintenanceWindow, NotificationChannel
    from tenants.context import tenant_context
    from tests.factories import make_device

    device = make_device(tenant, site)
    with tenant_context(tenant.id):
        rule = AlertRule.objects.get(tenant=tenant, kind="cpu")
        now = timezone.now()
        alert = Alert.objects.create(
            tenant=tenant, rule=rule, device=device, kind="cpu", severity="warning", started_at=now, last_breach_at=now
        )
        name = f"Isolation {now.timestamp()}"
        channel = NotificationChannel.objects.create(tenant=tenant, name=name, kind="email", recipients=["a@b.c"])
        window = MaintenanceWindow.objects.create(tenant=tenant, name="Isolation", starts_at=now, ends_at=now)
    return {"alert_id": alert.pk, "rule_id": rule.pk, "channel_id": channel.pk, "window_id": window.pk}


def _registry_ids(tenant, site) -> dict:
    """backups, jobs (issue 5), RADIUS (issue 7): objects of `tenant` built by the isolation
    registry's factories (the same ones the API matrix uses). RADIUS pages share `<uuid:pk>`:
    a user of `tenant` stands for all of them (an id of another model is a 404 just the same)."""
    from devices.models import ConfigBackup, Job
    from radius.models import RadiusUser
    from tenants.context import tenant_context
    from tests.isolation_registry import case_for, load_app_registrations

    cache = _registry_ids.__dict__.setdefault("made", {})  # the factories make fixed names: once per test
    key = (tenant.pk, site.pk)
    if key not in cache:
        load_app_registrations()
        with tenant_context(tenant.id):
            cache[key] = {
                "backup_id": case_for(ConfigBackup).factory(tenant, site).pk,
                "job_id": case_for(Job).factory(tenant, site).pk,
                "pk": case_for(RadiusUser).factory(tenant, site).pk,
            }
    return cache[key]


def _foreign_ids(world) -> dict:
    """Ids of globex's objects, to be tried through acme's URLs."""
    return {
        "site_id": world.east.pk,
        "membership_id": Membership.objects.get(user=world.users.erin, tenant=world.globex).pk,
        **_inventory_ids(world.globex, world.east),
        **_alert_ids(world.globex, world.east),  # alerts (issue 6)
        **_registry_ids(world.globex, world.east),
    }


def test_the_matrix_found_the_tenant_pages():
    assert "t/<slug:tenant>/" in ROUTES and "t/<slug:tenant>/sites/" in ROUTES and "t/<slug:tenant>/audit/" in ROUTES


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_foreign_tenant_member_gets_404_everywhere(world, route, method):
    client = Client()
    client.force_login(world.users.erin)  # admin of globex, nothing in acme
    own = {
        "site_id": world.north.pk,
        "membership_id": Membership.objects.get(user=world.users.bob, tenant=world.acme).pk,
        **_inventory_ids(world.acme, world.north),
        **_alert_ids(world.acme, world.north),  # alerts (issue 6)
        **_registry_ids(world.acme, world.north),
    }
    response = getattr(client, method)(_url(route, "acme", own), {"name": "x", "slug": "x", "role": "admin"})
    assert response.status_code == 404, f"{method.upper()} {route}: {response.status_code}"
    body = response.content.decode()
    assert "North" not in body and "Acme" not in body and "bob" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if "<uuid:" in r])
@pytest.mark.parametrize("who", ["alice", "root"])
def test_foreign_object_ids_under_own_tenant_are_404(world, route, who):
    client = Client()
    client.force_login(getattr(world.users, who))
    for method in ("get", "post"):
        response = getattr(client, method)(
            _url(route, "acme", _foreign_ids(world)), {"name": "x", "slug": "x", "role": "viewer"}
        )
        assert response.status_code in (404, 405), f"{who} {method.upper()} {route}: {response.status_code}"
        assert "East" not in response.content.decode() and "erin" not in response.content.decode()
    assert Membership.objects.filter(user=world.users.erin, tenant=world.globex, role="admin").exists()
