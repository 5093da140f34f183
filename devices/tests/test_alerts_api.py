# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""The alerting API: roles (viewer reads, operator acknowledges, admin edits rules and channels),
write-only channel secrets, clear 400s for bad input."""

import pytest

from devices.models import AlertRule, NotificationChannel
from tenants.context import tenant_context
from tests.conftest import world  # noqa: F401
from tests.factories import api_client

BASE = "/api/v1/tenants/acme"
HOOK = "https://hooks.example.com/services/T000/B000/very-secret-token"


@pytest.mark.django_db
def test_viewer_and_operator_read_rules_but_only_admin_edits(world):
    for user in (world.users.carol, world.users.bob):
        client = api_client(user)
        listed = client.get(f"{BASE}/alert-rules/")
        assert listed.status_code == 200 and listed.json()["count"] == 5
        forged = client.post(f"{BASE}/alert-rules/", {"name": "x", "kind": "cpu", "threshold": 1}, format="json")
        assert forged.status_code == 403
    admin = api_client(world.users.alice)
    created = admin.post(
        f"{BASE}/alert-rules/",
        {"name": "Hot", "kind": "temperature", "threshold": 70, "duration": 3, "sites": [str(world.north.pk)]},
        format="json",
    )
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    changed = admin.patch(f"{BASE}/alert-rules/{rule_id}/", {"threshold": 75, "enabled": False}, format="json")
    assert changed.status_code == 200 and changed.json()["threshold"] == 75
    assert admin.delete(f"{BASE}/alert-rules/{rule_id}/").status_code == 204


@pytest.mark.django_db
def test_bad_rules_are_400s_with_a_message(world):
    admin = api_client(world.users.alice)
    cases = [
        ({"name": "a", "kind": "cpu"}, "threshold"),
        ({"name": "b", "kind": "cve", "threshold": 11}, "threshold"),
        ({"name": "d", "kind": "cpu", "threshold": 5, "duration": 0}, "duration"),
        ({"name": "e", "kind": "cpu", "threshold": 5, "sites": [str(world.east.pk)]}, "sites"),  # B's site
        ({"name": "Device offline", "kind": "offline"}, "name"),
    ]
    for body, field in cases:
        response = admin.post(f"{BASE}/alert-rules/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["error"]["fields"], (body, response.json())
    backups = admin.post(f"{BASE}/alert-rules/", {"name": "f", "kind": "backup_failed"}, format="json")
    assert backups.status_code == 201 and backups.json()["available"] == "yes"


@pytest.mark.django_db
def test_channel_secrets_are_write_only(world):
    admin = api_client(world.users.alice)
    created = admin.post(
        f"{BASE}/alert-channels/",
        {"name": "Slack", "kind": "slack", "url": HOOK, "min_severity": "warning"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url_set"] is True and body["secret_set"] is False and "url" not in body
    for response in (admin.get(f"{BASE}/alert-channels/"), admin.get(f"{BASE}/alert-channels/{body['id']}/")):
        assert "very-secret-token" not in response.content.decode()
    audit = admin.get(f"{BASE}/audit/")
    assert "very-secret-token" not in audit.content.decode() and "alert_channel.created" in audit.content.decode()
    with tenant_context(world.acme.id):
        stored = NotificationChannel.objects.get(pk=body["id"])
        assert "very-secret-token" not in str(stored.url)
    cleared = admin.patch(f"{BASE}/alert-channels/{body['id']}/", {"name": "Slack 2"}, format="json")
    assert cleared.json()["url_set"] is True  # left out: kept
    assert api_client(world.users.bob).post(f"{BASE}/alert-channels/{body['id']}/test/").status_code == 403
    test = admin.post(f"{BASE}/alert-channels/{body['id']}/test/")
    assert test.status_code == 202 and test.json()["event"] == "test"


@pytest.mark.django_db
def test_bad_channels_are_400s(world):
    admin = api_client(world.users.alice)
    for body, field in [
        ({"name": "a", "kind": "webhook"}, "url"),
        ({"name": "b", "kind": "webhook", "url": "ftp://x"}, "url"),
        ({"name": "c", "kind": "email"}, "recipients"),
        ({"name": "d", "kind": "email", "recipients": ["not-an-address"]}, "recipients"),
        ({"name": "e", "kind": "pager"}, "kind"),
    ]:
        response = admin.post(f"{BASE}/alert-channels/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["error"]["fields"], (body, response.json())


@pytest.mark.django_db
def test_windows_api_and_alert_list_filters(world):
    admin = api_client(world.users.alice)
    bad = admin.post(f"{BASE}/maintenance-windows/", {"name": "w", "kind": "weekly", "weekdays": [1]}, format="json")
    assert bad.status_code == 400 and "start_time" in bad.json()["error"]["fields"]
    good = admin.post(
        f"{BASE}/maintenance-windows/",
        {"name": "Tuesday nights", "kind": "weekly", "weekdays": [1], "start_time": "22:00", "duration_minutes": 120},
        format="json",
    )
    assert good.status_code == 201, good.content
    assert api_client(world.users.bob).delete(f"{BASE}/maintenance-windows/{good.json()['id']}/").status_code == 403
    listed = api_client(world.users.carol).get(f"{BASE}/alerts/?state=firing&severity=critical&site=north")
    assert listed.status_code == 200 and listed.json()["count"] == 0
    assert api_client(world.users.alice).post(f"{BASE}/alerts/", {}, format="json").status_code == 405
    with tenant_context(world.acme.id):
        assert AlertRule.objects.count() == 5
