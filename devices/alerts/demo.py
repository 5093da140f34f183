"""The newcomer's loop in `make run`, all in the UI: make a simulated router fail from its device
page, and see the signed alert arrive at a webhook the platform itself receives.

- `configure(...)` (called by `manage.py demo_setup`, which `make run` runs once the simulator is
  up) records the simulator's control URL and which demo device is which simulated router
  (PlatformSetting "demo_simulator"), and gives the demo tenant a webhook channel "Demo receiver"
  pointing at the platform's own receiver, with a random signing secret.
- `set_fault(...)`: the device page's "Simulator" panel (the tenant's admins; only for routers of
  that record) asks the simulator's control endpoint (loopback) to fail or heal the router.
- `receive(...)`: POST /alerts/demo-receiver/<tenant slug>/ checks the HMAC-SHA256 signature with
  the channel's secret and keeps the last RECEIVED_KEEP deliveries in Redis; the tenant's members
  see them at /t/<tenant>/alerts/receiver/. Unsigned or wrongly signed posts are refused (401)
  and not kept: nobody can write there without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from django.core.exceptions import PermissionDenied, ValidationError

from audit.services import record
from devices import demo
from tenants.roles import Action

CHANNEL_NAME = "Demo receiver"
RECEIVED_KEY = "mikman:alerts:demo-receiver:"
RECEIVED_KEEP = 20
MAX_BODY = 64 * 1024
MAX_AGE_S = 300  # older timestamps are replays
FAULTS = ("offline",)


def configure(access, control_url: str, routers: dict[str, int], receiver_base: str) -> None:
    """Remember the simulator for `access.tenant` (the demo) and set up its receiver channel."""
    from devices.models import NotificationChannel
    from tenants.context import tenant_context

    from .services import save_channel

    tenant = access.tenant
    demo.remember_simulator(control_url, tenant_id=str(tenant.pk), routers=routers)
    url = f"{receiver_base.rstrip('/')}/alerts/demo-receiver/{tenant.slug}/"
    with tenant_context(tenant.pk):
        channel = NotificationChannel.objects.filter(name=CHANNEL_NAME).first()
        if channel is None:
            data = {"name": CHANNEL_NAME, "kind": "webhook", "min_severity": "info", "notify_resolved": True}
            save_channel(access, None, data, {"url": url, "secret": secrets.token_urlsafe(32)})
        else:
            save_channel(access, channel, {}, {"url": url})


def simulated_index(device) -> int | None:
    """The simulator's index of this device, when it is a demo router and the simulator is known."""
    from tenants.models import PlatformSetting

    setup = PlatformSetting.get(demo.SIMULATOR_SETTING) or {}
    if not setup.get("control_url") or setup.get("tenant_id") != str(device.tenant_id):
        return None
    return setup.get("routers", {}).get(device.name)


def set_fault(access, device, fault: str | None) -> None:
    """Fail (`fault`: "offline") or heal (None) a simulated router through the simulator's control
    endpoint. Admins only; audited."""
    if not access.allows(Action.MANAGE_DEVICES):
        raise PermissionDenied("Only the tenant's admins may change the simulator.")
    if fault is not None and fault not in FAULTS:
        raise ValidationError({"fault": f"Unknown fault: choose one of {', '.join(FAULTS)}."})
    index = simulated_index(device)
    if index is None:
        raise ValidationError("This device is not a router of the running simulator.")
    try:
        demo.simulator_control(demo.simulator_control_url() or "", "POST", "/faults", {"index": index, "fault": fault})
    except (demo.SimulatorUnavailable, ValueError) as exc:
        raise ValidationError(f"The simulator did not take it ({exc}): is it still running?") from None
    record(
        "device.simulator_fault",
        user=access.user,
        tenant=access.tenant,
        target=device,
        details={"fault": fault or "none", "index": index},
    )


def receive(slug: str, headers, body: bytes) -> tuple[int, str]:
    """A webhook POST for tenant `slug`'s receiver: (HTTP status, message). Kept only when the
    signature is valid and recent."""
    from devices.models import NotificationChannel
    from tenants.context import tenant_context
    from tenants.models import Tenant

    from .channels import open_channel_secret
    from .state import client

    if len(body) > MAX_BODY:
        return 413, "Too large."
    tenant = Tenant.objects.filter(slug=slug, active=True).first()
    if tenant is None:
        return 404, "No such receiver."
    with tenant_context(tenant.pk):
        channel = NotificationChannel.objects.filter(name=CHANNEL_NAME, kind="webhook").first()
        secret = open_channel_secret(channel, "secret") if channel is not None else None
    if not secret:
        return 404, "No such receiver."
    timestamp = headers.get("X-Mikman-Timestamp", "")
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("X-Mikman-Signature", "")):
        return 401, "Bad signature."
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_S:
        return 401, "Stale timestamp."
    try:
        payload = json.loads(body)
    except ValueError:
        return 400, "Not JSON."
    entry = {
        "received": time.time(),
        "event": headers.get("X-Mikman-Event", ""),
        "delivery": headers.get("X-Mikman-Delivery", ""),
        "signature": "valid",
        "title": str(payload.get("title", ""))[:300],
        "text": str(payload.get("text", ""))[:500],
        "body": json.dumps(payload, indent=2, sort_keys=True)[:4000],
    }
    key = f"{RECEIVED_KEY}{tenant.pk}"
    pipe = client().pipeline(transaction=False)
    pipe.lpush(key, json.dumps(entry))
    pipe.ltrim(key, 0, RECEIVED_KEEP - 1)
    pipe.execute()
    return 200, "Received."


def received(tenant_id) -> list[dict]:
    """The tenant's last deliveries at its demo receiver, newest first."""
    from .state import client

    return [json.loads(raw) for raw in client().lrange(f"{RECEIVED_KEY}{tenant_id}", 0, RECEIVED_KEEP - 1)]
