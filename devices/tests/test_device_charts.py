# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Charts: the device page's chart container (metrics API URL, interfaces, empty state), the
dashboard's "Top CPU" and "Recent events" cards (site scope applies), and the chart assets."""

from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from devices.models import DeviceEvent
from devices.polling.partitions import ensure_partition
from tenants.context import tenant_context
from tests.conftest import world  # noqa: F401
from tests.factories import make_device

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sample(device, ts, cpu, interfaces=("ether1",)):
    with tenant_context(device.tenant_id), connection.cursor() as cursor:
        for table in ("devices_devicesample", "devices_interfacesample"):
            ensure_partition(table, ts)
        cursor.execute(
            "INSERT INTO devices_devicesample (ts, tenant_id, device_id, cpu, mem_used, mem_total) "
            "VALUES (%s, %s, %s, %s, 100, 200)",
            [ts, device.tenant_id, device.pk, cpu],
        )
        for name in interfaces:
            cursor.execute(
                "INSERT INTO devices_interfacesample (ts, tenant_id, device_id, ifname, rx_bps, tx_bps, rx_bytes, "
                "tx_bytes, running) VALUES (%s, %s, %s, %s, 1000, 2000, 5, 6, true)",
                [ts, device.tenant_id, device.pk, name],
            )


def event(device, minutes_ago, new, kind="status"):
    with tenant_context(device.tenant_id):
        return DeviceEvent.objects.create(
            tenant_id=device.tenant_id,
            device=device,
            at=timezone.now() - timedelta(minutes=minutes_ago),
            kind=kind,
            old="offline",
            new=new,
        )


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "dave"])
def test_detail_page_has_the_chart_container_for_every_role_that_can_view(world, who):
    device = make_device(world.acme, world.north, name="north-gw")
    sample(device, timezone.now() - timedelta(minutes=1), 12, ("ether1", "sfp-sfpplus1"))
    body = client_for(getattr(world.users, who)).get(f"/t/acme/devices/{device.pk}/").content.decode()
    url = f"/api/v1/tenants/acme/devices/{device.pk}/metrics/"
    assert f'data-metrics-url="{url}"' in body
    assert 'data-interfaces="ether1,sfp-sfpplus1"' in body
    for value in ("1h", "6h", "24h", "7d"):
        assert f'data-range="{value}"' in body
    assert "/static/js/device-charts.js" in body and "/static/vendor/uPlot.iife.min.js" in body
    assert "/static/vendor/uPlot.min.css" in body
    assert '<div class="charts-empty" hidden>' in body
    assert "<script>" not in body and "style=" not in body  # no inline script or style (CSP)
    # the URL in the container answers for the same user
    assert client_for(getattr(world.users, who)).get(url, {"series": "cpu"}).status_code == 200


def test_detail_page_without_samples_shows_the_empty_state(world):
    device = make_device(world.acme, world.north, name="quiet-gw")
    body = client_for(world.users.carol).get(f"/t/acme/devices/{device.pk}/").content.decode()
    assert '<div class="charts-empty">' in body and "No samples yet" in body
    assert 'data-interfaces=""' in body


def test_detail_page_of_another_site_or_tenant_is_404(world):
    south = make_device(world.acme, world.south, name="south-gw")
    sample(south, timezone.now(), 50)
    assert client_for(world.users.dave).get(f"/t/acme/devices/{south.pk}/").status_code == 404
    assert client_for(world.users.erin).get(f"/t/acme/devices/{south.pk}/").status_code == 404


def test_dashboard_top_cpu_is_the_latest_cpu_top_five(world):
    now = timezone.now()
    devices = {}
    for i, cpu in enumerate([5, 95, 40, 60, 80, 20, 70]):
        devices[cpu] = make_device(world.acme, world.north, name=f"gw-{cpu:02d}")
        sample(devices[cpu], now - timedelta(minutes=3), 1 if cpu != 5 else 99)  # older: ignored
        sample(devices[cpu], now - timedelta(minutes=1), cpu)
    stale = make_device(world.acme, world.north, name="stale-gw")
    sample(stale, now - timedelta(hours=3), 100)  # too old to be "latest"
    body = client_for(world.users.alice).get("/t/acme/").content.decode()
    card = body[body.index('id="top-cpu"') : body.index('id="recent-events"')]
    shown = [name for name in (f"gw-{c:02d}" for c in (95, 80, 70, 60, 40)) if name in card]
    assert shown == ["gw-95", "gw-80", "gw-70", "gw-60", "gw-40"]
    assert [card.index(n) for n in shown] == sorted(card.index(n) for n in shown)  # highest first
    assert "gw-20" not in card and "gw-05" not in card and "stale-gw" not in card
    assert "95 %" in card


def test_dashboard_recent_events_are_the_last_ten(world):
    device = make_device(world.acme, world.north, name="evt-gw")
    for minutes in range(12):
        event(device, minutes, f"state-{minutes:02d}")
    body = client_for(world.users.carol).get("/t/acme/").content.decode()
    card = body[body.index('id="recent-events"') :]
    assert all(f"state-{m:02d}" in card for m in range(10))
    assert "state-10" not in card and "state-11" not in card
    assert card.index("state-00") < card.index("state-09")  # newest first


def test_site_scoped_user_never_sees_another_sites_device_or_event_on_the_dashboard(world):
    now = timezone.now()
    north = make_device(world.acme, world.north, name="north-gw")
    south = make_device(world.acme, world.south, name="south-secret-gw")
    other = make_device(world.acme, None, name="nosite-secret-gw")
    globex = make_device(world.globex, world.east, name="globex-secret-gw")
    sample(north, now, 10)
    sample(south, now, 99)
    sample(other, now, 98)
    sample(globex, now, 97)
    event(north, 1, "north-event")
    event(south, 1, "south-secret-event")
    event(other, 1, "nosite-secret-event")
    event(globex, 1, "globex-secret-event")
    body = client_for(world.users.dave).get("/t/acme/").content.decode()
    assert "north-gw" in body and "north-event" in body
    for secret in ("south-secret", "nosite-secret", "globex-secret", str(south.pk), str(other.pk)):
        assert secret not in body
    body = client_for(world.users.carol).get("/t/acme/").content.decode()  # unscoped: the whole tenant
    assert "south-secret-gw" in body and "nosite-secret-event" in body and "globex-secret" not in body
    body = client_for(world.users.erin).get("/t/globex/").content.decode()  # the other tenant
    assert "globex-secret-gw" in body and "globex-secret-event" in body
    assert "north-gw" not in body and "north-event" not in body and "south-secret" not in body


def test_dashboard_cards_empty_states(world):
    body = client_for(world.users.alice).get("/t/acme/").content.decode()
    assert 'id="top-cpu"' in body and "No recent samples" in body
    assert 'id="recent-events"' in body and "No events yet" in body


@pytest.mark.parametrize(
    "path",
    ["js/device-charts.js", "vendor/uPlot.iife.min.js", "vendor/uPlot.min.css", "css/mikman.css"],
)
def test_chart_assets_are_found_and_served(path):
    assert finders.find(path), path
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        response = Client().get(f"/static/{path}")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) > 100
    if path.endswith(".js"):
        assert response["Content-Type"].startswith(("text/javascript", "application/javascript"))
