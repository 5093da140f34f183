"""The newcomer flow of `make run`: the demo tenant's simulated router is a RADIUS NAS of the
platform; an admin creates a limitation, profile and user, makes the router log that user in
from the NAS page, sees the session with growing usage and sees it disconnected at the limit.
Real simulator, real RADIUS server, real PostgreSQL."""

from __future__ import annotations

import io
import socket
import time

import pytest
from django.core.management import call_command
from django.test import Client

from devices.demo import DEMO_NAS_NAME
from devices.simulator.testing import running_fleet
from radius.models import Router
from radius.server.tests.conftest import ServerThread
from radius.tests.support import url
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.factories import add_member, api_client, make_user


def _wait(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def demo(transactional_db):
    root = make_user("superadmin", super_admin=True)
    with running_fleet(count=2, seed=1, protocols=(), radius_interim=0.3) as info:
        fleet = info["fleet"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((fleet.nas_address(0), 0))
            coa_port = probe.getsockname()[1]
        with ServerThread() as server:
            out = io.StringIO()
            args = ["--count", "2", "--mode", info["mode"], "--control-url", info["control_url"]]
            args += ["--radius-auth-port", str(server.auth_port), "--radius-acct-port", str(server.acct_port)]
            call_command("demo_setup", *args, "--nas-coa-port", str(coa_port), stdout=out)
            tenant = Tenant.objects.get(slug="demo")
            yield fleet, root, tenant, out.getvalue()
            for session in fleet.subscribers(0):
                fleet.subscriber_logout(0, session_id=session["session_id"])


def test_newcomer_logs_a_user_in_from_the_nas_page_and_sees_the_limit_disconnect(demo):
    fleet, root, tenant, output = demo
    assert f"NAS “{DEMO_NAS_NAME}” registered at {fleet.nas_address(0)}" in output
    with tenant_context(tenant.id):
        nas = Router.objects.select_related("device").get(name=DEMO_NAS_NAME)
        assert nas.device is not None and nas.device.name == fleet.device(0).identity
        assert nas.shared_secret is not None
    radius_rows = fleet.device(0).rows("/radius")
    assert radius_rows[0]["address"] == "127.0.0.1" and radius_rows[0]["secret"] not in output

    # the newcomer creates a limitation, a profile and a user (API as the UI would)
    api = api_client(root)
    limitation = api.post(url("demo", "limitations/"), {"name": "300 kB", "transfer_limit": 300_000}, format="json")
    profile = api.post(url("demo", "profiles/"), {"name": "Trial"}, format="json").json()
    link = {"profile": profile["id"], "limitation": limitation.json()["id"]}
    assert api.post(url("demo", "profile-limitations/"), link, format="json").status_code == 201
    user = api.post(url("demo", "users/"), {"name": "newbie", "password": "newbie-pw-1"}, format="json").json()
    assigned = api.post(url("demo", "user-profiles/"), {"user": user["id"], "profile": profile["id"]}, format="json")
    assert assigned.status_code == 201

    web = Client()
    web.force_login(root)
    routers_page = web.get("/t/demo/radius/routers/").content.decode()
    page = f"/t/demo/radius/routers/{nas.pk}/simulate/"
    assert page in routers_page
    login = {"user": "newbie", "password": "newbie-pw-1", "service": "hotspot", "rate_mbps": 2, "interim_s": 5}
    response = web.post(page, login, follow=True)
    assert response.status_code == 200 and "newbie logged in" in response.content.decode()
    assert "newbie" in response.content.decode()  # the router's own session table
    # Sessions shows it with usage growing, then the server disconnects it at the limit
    _wait(lambda: "newbie" in web.get("/t/demo/radius/sessions/").content.decode(), what="the session in Sessions")
    closed = _wait(
        lambda: (
            "um-limits-reached" in (text := web.get("/t/demo/radius/sessions/?status=all").content.decode()) and text
        ),
        what="the disconnect at the limit",
    )
    assert "newbie" in closed
    assert "Admin-Reset" in web.get(page).content.decode()  # the router ended it on the Disconnect-Request
    assert fleet.subscribers(0) == []
    wrong = web.post(page, {**login, "password": "nope"}, follow=True)
    assert "reject" in wrong.content.decode()


def test_viewers_cannot_make_the_router_log_in_and_other_routers_have_no_such_page(demo):
    fleet, root, tenant, _ = demo
    with tenant_context(tenant.id):
        nas = Router.objects.get(name=DEMO_NAS_NAME)
    viewer = make_user("viewer")
    add_member(viewer, tenant, "viewer")
    web = Client()
    web.force_login(viewer)
    page = f"/t/demo/radius/routers/{nas.pk}/simulate/"
    assert web.get(page).status_code == 200
    forged = {"user": "x", "password": "y", "service": "hotspot", "rate_mbps": 1, "interim_s": 5}
    assert web.post(page, forged).status_code == 403
    assert fleet.subscribers(0) == []
    admin = Client()
    admin.force_login(root)
    bad = admin.post(page, {**forged, "service": "telnet"})
    assert bad.status_code == 400
    other = api_client(root).post(
        url("demo", "routers/"),
        {"name": "real", "address": "192.0.2.9", "shared_secret": "a-long-shared-secret-123"},
        format="json",
    )
    assert admin.get(f"/t/demo/radius/routers/{other.json()['id']}/simulate/").status_code == 404
