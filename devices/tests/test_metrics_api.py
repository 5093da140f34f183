# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""The metrics API: latest sample, time series by range and resolution, fleet summary, scoping."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from devices.polling.partitions import ensure_partition
from tenants.context import tenant_context
from tests.factories import api_client, make_device

from .poll_support import world  # noqa: F401

pytestmark = pytest.mark.django_db


def _url(tenant, device, tail="metrics/"):
    return f"/api/v1/tenants/{tenant.slug}/devices/{device.pk}/{tail}"


def _sample(device, ts, cpu, interfaces=(("ether1", 1000, 2000),)):
    with tenant_context(device.tenant_id), connection.cursor() as cursor:
        for table in ("devices_devicesample", "devices_interfacesample"):
            ensure_partition(table, ts)
        cursor.execute(
            "INSERT INTO devices_devicesample (ts, tenant_id, device_id, cpu, mem_used, mem_total) "
            "VALUES (%s, %s, %s, %s, 100, 200)",
            [ts, device.tenant_id, device.pk, cpu],
        )
        for name, rx_bps, tx_bps in interfaces:
            cursor.execute(
                "INSERT INTO devices_interfacesample (ts, tenant_id, device_id, ifname, rx_bps, tx_bps, rx_bytes, "
                "tx_bytes, running) VALUES (%s, %s, %s, %s, %s, %s, 5, 6, true)",
                [ts, device.tenant_id, device.pk, name, rx_bps, tx_bps],
            )


def _rollup(device, table, ts, cpu_avg):
    with tenant_context(device.tenant_id), connection.cursor() as cursor:
        ensure_partition(table, ts)
        cursor.execute(
            f"INSERT INTO {table} (ts, tenant_id, device_id, samples, cpu_avg, cpu_max) VALUES (%s, %s, %s, 5, %s, 99)",
            [ts, device.tenant_id, device.pk, cpu_avg],
        )


def test_latest_is_the_newest_sample_with_its_interfaces(world):
    device = make_device(world.acme, world.north)
    now = timezone.now()
    _sample(device, now - timedelta(minutes=2), 10, [("ether1", 1, 2)])
    _sample(device, now - timedelta(minutes=1), 42, [("ether1", 800, 900), ("wlan1", 3, 4)])
    body = api_client(world.users.carol).get(_url(world.acme, device, "metrics/latest/")).json()
    assert body["device"] == str(device.pk)
    assert body["resources"]["cpu"] == 42 and body["resources"]["mem_total"] == 200
    assert [(i["ifname"], i["rx_bps"]) for i in body["interfaces"]] == [("ether1", 800), ("wlan1", 3)]


def test_latest_without_samples_is_empty_not_an_error(world):
    device = make_device(world.acme, world.north)
    body = api_client(world.users.alice).get(_url(world.acme, device, "metrics/latest/")).json()
    assert body["resources"] is None and body["interfaces"] == []


def test_raw_series_honours_since_and_until(world):
    device = make_device(world.acme, world.north)
    now = timezone.now().replace(microsecond=0)
    for minutes, cpu in ((50, 1), (40, 2), (30, 3), (20, 4)):
        _sample(device, now - timedelta(minutes=minutes), cpu)
    client = api_client(world.users.carol)
    since = (now - timedelta(minutes=45)).isoformat()
    until = (now - timedelta(minutes=25)).isoformat()
    response = client.get(_url(world.acme, device), {"series": "cpu,interface:ether1", "since": since, "until": until})
    body = response.json()
    assert response.status_code == 200 and body["resolution"] == "raw"
    assert [p[1] for p in body["series"]["cpu"]["points"]] == [2, 3]
    assert body["series"]["interface:ether1"]["columns"][:3] == ["ts", "rx_bps", "tx_bps"]
    assert len(body["series"]["interface:ether1"]["points"]) == 2


def test_auto_resolution_uses_rollups_for_long_ranges(world):
    device = make_device(world.acme, world.north)
    now = timezone.now().replace(second=0, microsecond=0)
    _rollup(device, "devices_devicerollup5m", now - timedelta(days=2), 33.5)
    _rollup(device, "devices_devicerollup1h", now - timedelta(days=20), 12.25)
    client = api_client(world.users.carol)
    two_days = client.get(_url(world.acme, device), {"since": (now - timedelta(days=3)).isoformat()}).json()
    assert two_days["resolution"] == "5m"
    assert two_days["series"]["cpu"]["columns"] == ["ts", "cpu_avg", "cpu_max"]
    assert [p[1:] for p in two_days["series"]["cpu"]["points"]] == [[33.5, 99]]
    month = client.get(_url(world.acme, device), {"since": (now - timedelta(days=30)).isoformat()}).json()
    assert month["resolution"] == "1h" and [p[1] for p in month["series"]["cpu"]["points"]] == [12.25]
    forced = client.get(
        _url(world.acme, device), {"since": (now - timedelta(days=3)).isoformat(), "resolution": "1h"}
    ).json()
    assert forced["resolution"] == "1h" and forced["series"]["cpu"]["points"] == []


@pytest.mark.parametrize(
    "params",
    [{"series": "nonsense"}, {"resolution": "2m"}, {"since": "yesterday"}, {"since": "2030-01-01T00:00:00Z"}],
)
def test_bad_parameters_are_400(world, params):
    device = make_device(world.acme, world.north)
    response = api_client(world.users.carol).get(_url(world.acme, device), params)
    assert response.status_code == 400


def test_site_scoped_member_sees_only_own_sites_metrics_and_summary(world):
    own = make_device(world.acme, world.north, name="north-router", model="RB5009", ros_version="7.16")
    other = make_device(world.acme, world.south, name="south-router", model="hAP ax2", ros_version="6.49.13")
    _sample(other, timezone.now(), 77)
    dave = api_client(world.users.dave)  # viewer of acme, north only
    assert dave.get(_url(world.acme, other, "metrics/latest/")).status_code == 404
    assert dave.get(_url(world.acme, other)).status_code == 404
    assert dave.get(_url(world.acme, own, "metrics/latest/")).status_code == 200
    summary = dave.get(f"/api/v1/tenants/{world.acme.slug}/fleet/summary/").json()
    assert summary["devices"] == 1 and summary["by_model"] == {"RB5009": 1}
    assert "south-router" not in str(summary)
    full = api_client(world.users.carol).get(f"/api/v1/tenants/{world.acme.slug}/fleet/summary/").json()
    assert full["devices"] == 2 and full["by_version"] == {"7.16": 1, "6.49.13": 1}
    assert full["by_status"] == {"unknown": 2} and {d["name"] for d in full["attention"]} == {
        "north-router",
        "south-router",
    }


def test_another_tenants_device_is_404(world):
    foreign = make_device(world.globex, world.east)
    _sample(foreign, timezone.now(), 5)
    client = api_client(world.users.alice)
    assert client.get(_url(world.acme, foreign, "metrics/latest/")).status_code == 404
    assert client.get(_url(world.globex, foreign, "metrics/latest/")).status_code == 404
