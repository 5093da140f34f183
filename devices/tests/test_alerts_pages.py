# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""The alerting pages: every member sees alerts (site-scoped users only their sites'), operators
acknowledge, admins edit rules/channels/windows; forged POSTs of lesser roles are 403; channel
secrets are never rendered; the dashboard card counts open alerts."""

import pytest
from django.test import Client
from django.utils import timezone

from devices.models import Alert, AlertRule, NotificationChannel
from tenants.context import tenant_context
from tests.conftest import world  # noqa: F401
from tests.factories import make_device

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.example.com/T0/B0/page-secret-token"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_alert(tenant, site, name):
    device = make_device(tenant, site, name=name)
    with tenant_context(tenant.id):
        rule = AlertRule.objects.get(kind="cpu")
        now = timezone.now()
        return Alert.objects.create(
            tenant=tenant,
            rule=rule,
            device=device,
            kind="cpu",
            severity="critical",
            message=f"{name} is hot",
            value=97,
            threshold=90,
            started_at=now,
            last_breach_at=now,
        )


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "dave"])
def test_alert_pages_render_for_every_member(world, who):
    north = make_alert(world.acme, world.north, "north-gw")
    south = make_alert(world.acme, world.south, "south-gw")
    client = client_for(getattr(world.users, who))
    body = client.get("/t/acme/alerts/").content.decode()
    assert "north-gw is hot" in body
    assert ("south-gw is hot" in body) == (who != "dave")
    detail = client.get(f"/t/acme/alerts/{north.pk}/")
    assert detail.status_code == 200 and 'class="alert-chart"' in detail.content.decode()
    assert ("Acknowledge</button>" in detail.content.decode()) == (who in ("alice", "bob"))
    assert client.get(f"/t/acme/alerts/{south.pk}/").status_code == (404 if who == "dave" else 200)
    for page in ("rules/", "channels/", "windows/"):
        assert client.get(f"/t/acme/alerts/{page}").status_code == 200
    dashboard = client.get("/t/acme/").content.decode()
    assert "All alerts" in dashboard
    assert client_for(world.users.erin).get(f"/t/acme/alerts/{north.pk}/").status_code == 404


def test_operator_acknowledges_viewer_is_refused(world):
    alert = make_alert(world.acme, world.north, "gw")
    assert client_for(world.users.carol).post(f"/t/acme/alerts/{alert.pk}/acknowledge/").status_code == 403
    response = client_for(world.users.bob).post(f"/t/acme/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 302
    with tenant_context(world.acme.id):
        alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.acknowledged_by == world.users.bob
    assert "by bob" in client_for(world.users.carol).get(f"/t/acme/alerts/{alert.pk}/").content.decode()


def test_admin_edits_rules_others_are_refused(world):
    form = {
        "name": "Hot box",
        "kind": "temperature",
        "threshold": "70",
        "duration": "2",
        "clear_after": "1",
        "severity": "critical",
        "enabled": "on",
    }
    for who in ("bob", "carol"):
        assert client_for(getattr(world.users, who)).post("/t/acme/alerts/rules/add/", form).status_code == 403
    admin = client_for(world.users.alice)
    assert admin.post("/t/acme/alerts/rules/add/", form).status_code == 302
    bad = admin.post("/t/acme/alerts/rules/add/", {**form, "name": "x", "kind": "cve", "threshold": "12"})
    assert bad.status_code == 400 and "CVSS score" in bad.content.decode()
    with tenant_context(world.acme.id):
        rule = AlertRule.objects.get(name="Hot box")
    assert (rule.threshold, rule.duration, rule.severity) == (70, 2, "critical")
    assert admin.post(f"/t/acme/alerts/rules/{rule.pk}/delete/").status_code == 302


def test_channel_form_never_renders_the_secret(world):
    admin = client_for(world.users.alice)
    form = {
        "name": "Slack",
        "kind": "slack",
        "min_severity": "info",
        "enabled": "on",
        "notify_resolved": "on",
        "url": HOOK,
    }
    assert client_for(world.users.bob).post("/t/acme/alerts/channels/add/", form).status_code == 403
    assert admin.post("/t/acme/alerts/channels/add/", form).status_code == 302
    with tenant_context(world.acme.id):
        channel = NotificationChannel.objects.get(name="Slack")
    for url in ("/t/acme/alerts/channels/", f"/t/acme/alerts/channels/{channel.pk}/edit/"):
        body = admin.get(url).content.decode()
        assert "page-secret-token" not in body and "set" in body
    assert admin.post(f"/t/acme/alerts/channels/{channel.pk}/test/").status_code == 302
    assert "test" in admin.get("/t/acme/alerts/channels/").content.decode()


def test_admin_adds_a_weekly_window(world):
    admin = client_for(world.users.alice)
    form = {
        "name": "Night works",
        "kind": "weekly",
        "weekdays": ["1", "3"],
        "start_time": "22:00",
        "duration_minutes": "90",
    }
    assert client_for(world.users.carol).post("/t/acme/alerts/windows/add/", form).status_code == 403
    assert admin.post("/t/acme/alerts/windows/add/", form).status_code == 302
    body = admin.get("/t/acme/alerts/windows/").content.decode()
    assert "Night works" in body and "weekly on 1, 3" in body
    missing = admin.post("/t/acme/alerts/windows/add/", {"name": "x", "kind": "weekly"})
    assert missing.status_code == 400
