# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""The dashboard's "Top traffic" card (site-scoped like top CPU), the device page's latest
sample (interfaces with rates, wireless clients, CPU) and the hooks static/js/live.js uses —
from real polls of simulated routers."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from .poll_support import fleet, poll, sim, sim_device, world  # noqa: F401

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section(body: str, start: str, end: str) -> str:
    return body.split(start, 1)[1].split(end, 1)[0]


def no_inline_script(body: str) -> None:
    """CSP (script-src 'self'): every script is a file, or JSON data."""
    for tag in re.findall(r"<script[^>]*>", body):
        assert "src=" in tag or 'type="application/json"' in tag, tag


@pytest.fixture
def polled(world, fleet):
    north = sim_device(world.acme, fleet, 0, world.north, name="north-gw")
    south = sim_device(world.acme, fleet, 1, world.south, name="south-gw")
    east = sim_device(world.globex, fleet, 2, world.east, name="east-gw")
    for _ in range(2):  # rates need two samples
        assert poll([north, south])["ok"] == 2
        assert poll(east)["ok"] == 1
        time.sleep(1.1)
    return north, south, east


def test_top_traffic_card_lists_busiest_interfaces_within_scope(world, polled):
    from tenants.access import load_site_scope, resolve_access
    from tenants.context import tenant_context
    from tenants.views.tenant import top_traffic

    north, south, _ = polled
    body = client_for(world.users.alice).get("/t/acme/").content.decode()
    card = section(body, 'id="top-traffic"', "</section>")
    # The five busiest may all be one router's: which of the two shows depends on the traffic.
    assert ("north-gw" in card or "south-gw" in card) and "east-gw" not in card
    assert re.search(r"\d+(\.\d)? [kMG]?bit/s", card)
    assert 'data-device-id="' in card

    def ranked(user) -> set[str]:
        with tenant_context(world.acme.id):
            access = load_site_scope(resolve_access(user, world.acme))
            return {row["device"].name for row in top_traffic(access, limit=500)}

    assert ranked(world.users.alice) == {"north-gw", "south-gw"}
    assert ranked(world.users.dave) == {"north-gw"}  # dave: North only
    card = section(client_for(world.users.dave).get("/t/acme/").content.decode(), 'id="top-traffic"', "</section>")
    assert "north-gw" in card and "south-gw" not in card

    body = client_for(world.users.erin).get("/t/globex/").content.decode()
    assert "east-gw" in section(body, 'id="top-traffic"', "</section>")


def test_dashboard_carries_the_live_hooks(world, polled):
    body = client_for(world.users.carol).get("/t/acme/").content.decode()
    no_inline_script(body)
    assert 'data-live-url="/t/acme/live/"' in body
    assert 'data-live-summary-url="/api/v1/tenants/acme/fleet/summary/"' in body
    assert 'id="device-status-labels"' in body and '"auth_failed": "Authentication failed"' in body
    assert 'data-live-count="online">2<' in body and 'data-live-count="total">2<' in body
    assert '<tr data-live-count-row="offline" hidden>' in body


def test_device_page_shows_interfaces_wireless_and_live_cpu(world, polled):
    north, _, _ = polled
    body = client_for(world.users.dave).get(f"/t/acme/devices/{north.pk}/").content.decode()
    no_inline_script(body)
    assert f'<div data-device-id="{north.pk}">' in body
    interfaces = section(body, 'id="device-interfaces"', "</section>")
    assert "ether1" in interfaces and "bit/s" in interfaces
    now = section(body, 'id="device-now"', 'id="device-interfaces"')
    assert re.search(r'data-live="cpu" class="meter[^"]*"><meter [^>]*value="\d+"', now)
    assert "Wireless clients" in now
    assert 'data-live="last-seen"' in body and 'data-live-url="/t/acme/live/"' in body


def test_device_page_before_the_first_poll(world, fleet):
    device = sim_device(world.acme, fleet, 3, world.north, name="fresh")
    body = client_for(world.users.alice).get(f"/t/acme/devices/{device.pk}/").content.decode()
    assert "not polled yet" in body and "No interfaces yet" in body
