# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Delivery through real channels and a real worker: retries with backoff on a failing
endpoint (codes logged), giving up after the last attempt, e-mail through a local SMTP server,
suppression inside a maintenance window."""

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from devices.alerts import services
from devices.models import Alert, Delivery, MaintenanceWindow
from tenants.context import tenant_context

from .alerts_support import (  # noqa: F401
    SIGNING_SECRET,
    access_of,
    fleet,
    poll,
    receiver,
    sim,
    sim_device,
    valid_signature,
    wait_until,
    worker,
    world,
)


def deliveries(tenant):
    with tenant_context(tenant.id):
        return list(Delivery.objects.order_by("created").values("event", "state", "codes", "attempts", "last_error"))


def test_a_failing_endpoint_is_retried_until_it_answers(world, worker, receiver, settings):
    settings.ALERTS_RETRY_BASE_S = 0.5
    receiver.fail_with = [500, 503]
    admin = access_of(world.users.alice, world.acme)
    with tenant_context(world.acme.id):
        channel = services.save_channel(
            admin, None, {"name": "Flaky", "kind": "webhook"}, {"url": receiver.url, "secret": SIGNING_SECRET}
        )
        services.send_test(admin, channel)
    wait_until(lambda: deliveries(world.acme)[0]["state"] == "sent", what="delivery sent")
    [row] = deliveries(world.acme)
    assert row["codes"] == [500, 503, 200] and row["attempts"] == 3 and row["event"] == "test"
    assert [r["code"] for r in receiver.requests] == [500, 503, 200]
    assert all(valid_signature(r) for r in receiver.requests)
    gaps = [b["at"] - a["at"] for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]
    assert gaps[0] >= 0.5 and gaps[1] - gaps[0] > 0.25  # exponential backoff: 0.5 s, then 1 s


def test_a_dead_endpoint_fails_after_the_last_attempt_without_leaking_its_url(world, worker, settings):
    settings.ALERTS_DELIVERY_ATTEMPTS = 3
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}/secret-token-in-path"
    admin = access_of(world.users.alice, world.acme)
    with tenant_context(world.acme.id):
        channel = services.save_channel(admin, None, {"name": "Dead", "kind": "slack"}, {"url": url})
        services.send_test(admin, channel)
    wait_until(lambda: deliveries(world.acme)[0]["state"] == "failed", what="delivery failed")
    [row] = deliveries(world.acme)
    assert row["codes"] == [0, 0, 0] and row["attempts"] == 3
    assert row["last_error"] and "secret-token-in-path" not in row["last_error"]


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []
            self.arrived = threading.Event()

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            self.messages.append({"to": envelope.rcpt_tos, "data": envelope.content.decode("utf-8", "replace")})
            self.arrived.set()
            return "250 OK"

    inbox = Inbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def test_an_offline_device_is_mailed_to_the_channel_recipients(world, worker, fleet, smtp_server):
    admin = access_of(world.users.alice, world.acme)
    with tenant_context(world.acme.id):
        services.save_channel(
            admin,
            None,
            {"name": "NOC mail", "kind": "email", "recipients": ["noc@example.com", "oncall@example.com"]},
            {},
        )
    device = sim_device(world.acme, fleet, 2)
    fleet["fleet"].set_fault(2, "offline")
    poll(device)
    assert smtp_server.arrived.wait(30), "no e-mail arrived"
    [mail] = smtp_server.messages
    assert sorted(mail["to"]) == ["noc@example.com", "oncall@example.com"]
    assert "FIRING critical: Device offline on " + device.name in mail["data"]
    assert "sim-admin" not in mail["data"]
    wait_until(lambda: deliveries(world.acme) and deliveries(world.acme)[0]["state"] == "sent", what="mail logged")
    assert deliveries(world.acme)[0]["codes"] == [250]


def test_alerts_in_a_maintenance_window_are_recorded_not_notified(world, worker, fleet, receiver):
    admin = access_of(world.users.alice, world.acme)
    device = sim_device(world.acme, fleet, 3, site=world.south)
    now = timezone.now()
    with tenant_context(world.acme.id):
        services.save_channel(admin, None, {"name": "Hook", "kind": "webhook"}, {"url": receiver.url})
        services.save_window(
            admin,
            None,
            {
                "name": "South works",
                "site": world.south,
                "starts_at": now - timedelta(minutes=5),
                "ends_at": now + timedelta(hours=1),
            },
        )
    fleet["fleet"].set_fault(3, "offline")
    poll(device)

    def alert():
        with tenant_context(world.acme.id):
            return Alert.objects.filter(device=device).values("state", "suppressed").first()

    assert wait_until(alert, what="alert recorded") == {"state": "firing", "suppressed": True}
    assert deliveries(world.acme) == []
    fleet["fleet"].set_fault(3, None)
    poll(device)
    wait_until(lambda: alert()["state"] == "resolved", what="alert resolved")
    time.sleep(0.5)
    assert deliveries(world.acme) == [] and receiver.requests == []


def test_a_weekly_window_is_active_on_its_days_only(world):
    from datetime import UTC, datetime
    from datetime import time as clock

    window = MaintenanceWindow(kind="weekly", weekdays=[6], start_time=clock(23, 0), duration_minutes=120)
    sunday_late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    monday_early = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # still inside Sunday's window
    monday_late = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert [window.active_at(t) for t in (sunday_late, monday_early, monday_late)] == [True, True, False]


def test_webhook_body_is_json_with_the_alert(world, worker, fleet, receiver):
    admin = access_of(world.users.alice, world.acme)
    with tenant_context(world.acme.id):
        services.save_channel(
            admin, None, {"name": "Hook", "kind": "webhook", "min_severity": "critical"}, {"url": receiver.url}
        )
    device = sim_device(world.acme, fleet, 0, site=world.north)
    fleet["fleet"].set_fault(0, "offline")
    poll(device)
    request = receiver.wait_for(lambda r: True)
    body = json.loads(request["body"])
    assert body["alert"]["device"]["site"] == "North" and body["alert"]["severity"] == "critical"
    assert "X-Mikman-Signature" not in request["headers"]  # no signing secret set
