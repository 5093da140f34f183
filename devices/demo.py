"""The demo tenant `make run` pre-registers, so a newcomer sees simulated routers come online.

`setup_demo(...)` is idempotent: it creates (or finds) the tenant "Demo" (slug `demo`), its two
sites, a credential profile with the simulator's admin login and one device per simulated
router, and makes the acting super admin an admin member so they can read the tenant's data.
Running it again changes nothing — except the devices' addresses/ports when the simulator's
layout changed (e.g. it now runs without root and falls back to a port per device).

Everything goes through the services the UI uses (tenant, membership, credential profile,
device), inside the demo tenant's RLS context, so it is audited like any admin's work.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no Django import at module level: the launcher uses `simulator_mode()`
    from tenants.models import Tenant, User

DEMO_NAME = "Demo"
DEMO_SLUG = "demo"
DEMO_SITES = (("Headquarters", "hq"), ("Branch office", "branch"))
PROFILE_NAME = "Simulator admin"
DEMO_TAGS = ["demo", "simulated"]
DEMO_POLL_INTERVAL_S = 30


@dataclass(frozen=True)
class SimulatedRouter:
    index: int
    name: str
    host: str
    api_port: int


@dataclass
class DemoReport:
    tenant: Tenant
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def simulator_mode() -> str:
    """The simulator's own choice in mode "auto": one loopback address per router when it may
    bind to `lo` (SO_BINDTODEVICE, root), otherwise 127.0.0.1 with a port per router."""
    probe = socket.socket()
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        return "addresses"
    except OSError:
        return "ports"
    finally:
        probe.close()


def simulated_routers(count: int, seed: int = 1, mode: str = "auto", api_port: int = 8728) -> list[SimulatedRouter]:
    """Where the simulator (`python -m devices.simulator --count N --seed S`) serves each
    router's API: the same addressing as devices.simulator.fleet, named by its identity."""
    from devices.simulator.fleet import address_of
    from devices.simulator.hardware import derive_hardware

    if mode == "auto":
        mode = simulator_mode()
    if mode not in ("addresses", "ports"):
        raise ValueError(f"Unknown simulator mode {mode!r}: addresses, ports or auto.")
    routers = []
    for index in range(count):
        host, port = (address_of(index), api_port) if mode == "addresses" else ("127.0.0.1", api_port + index)
        routers.append(SimulatedRouter(index, derive_hardware(seed, index).identity, host, port))
    return routers


def setup_demo(
    owner: User,
    routers: list[SimulatedRouter],
    *,
    username: str = "admin",
    password: str = "sim-admin",  # noqa: S107 - the simulator's documented default
) -> DemoReport:
    """Create or refresh the demo tenant for `routers`, acting as the super admin `owner`
    (all or nothing)."""
    from django.db import transaction

    with transaction.atomic():
        return _setup_demo(owner, routers, username, password)


def _setup_demo(owner: User, routers: list[SimulatedRouter], username: str, password: str) -> DemoReport:
    from devices import services
    from devices.models import CredentialProfile, Device, Protocol
    from tenants import services as tenant_services
    from tenants.access import load_site_scope, resolve_access
    from tenants.context import tenant_context
    from tenants.models import Site, Tenant

    tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
    if tenant is None:
        tenant = tenant_services.create_tenant(DEMO_NAME, DEMO_SLUG, by=owner)
    report = DemoReport(tenant)
    if not tenant.memberships.filter(user=owner).exists():
        tenant_services.set_membership(tenant, owner, "admin", by=owner)
    with tenant_context(tenant.id):
        access = load_site_scope(resolve_access(owner, tenant))
        sites = []
        for name, slug in DEMO_SITES:
            site = Site.objects.filter(tenant=tenant, slug=slug).first()
            sites.append(site or Site.objects.create(tenant=tenant, name=name, slug=slug))
        profile = CredentialProfile.objects.filter(tenant=tenant, name=PROFILE_NAME).first()
        if profile is None:
            profile = services.save_profile(
                access,
                None,
                {"name": PROFILE_NAME, "username": username, "notes": "The fleet simulator's admin login."},
                secrets={"password": password},
            )
        existing = {d.name: d for d in Device.objects.filter(tenant=tenant, tags__contains=["simulated"])}
        for router in routers:
            device = existing.get(router.name)
            if device is None:
                services.add_device(
                    access,
                    {
                        "name": router.name,
                        "host": router.host,
                        "api_port": router.api_port,
                        "protocol": Protocol.API,
                        "fallback_protocols": [],
                        "site": sites[router.index % len(sites)],
                        "credential_profile": profile,
                        "poll_interval_s": DEMO_POLL_INTERVAL_S,
                        "tags": DEMO_TAGS,
                        "notes": f"Simulated router #{router.index} (devices/simulator).",
                    },
                )
                report.created.append(router.name)
            elif (device.host, device.api_port) != (router.host, router.api_port):
                services.update_device(access, device, {"host": router.host, "api_port": router.api_port})
                report.updated.append(router.name)
            else:
                report.unchanged += 1
    return report


def default_owner() -> User | None:
    """The super admin `bootstrap_admin` created, else the oldest active super admin."""
    from tenants.models import PlatformSetting, User

    marker = PlatformSetting.get("bootstrap_admin") or {}
    user = User.objects.filter(username=marker.get("username"), is_super_admin=True, is_active=True).first()
    return user or User.objects.filter(is_super_admin=True, is_active=True).order_by("pk").first()


# --- the demo NAS: a simulated router as RADIUS client of the platform's User Manager ------------
DEMO_NAS_NAME = "Demo hotspot (simulated)"
# PlatformSetting of `make run`'s simulator: {"control_url", "tenant_id", "routers": {name: index}}
SIMULATOR_SETTING = "demo_simulator"
CONTROL_TIMEOUT_S = 10.0


class SimulatorUnavailable(Exception):
    """The simulator's control endpoint did not answer (or is not known)."""


def simulator_control_url() -> str | None:
    """The control URL `make run` recorded for its simulator (None: no simulator here)."""
    from tenants.models import PlatformSetting

    return (PlatformSetting.get(SIMULATOR_SETTING) or {}).get("control_url") or None


def remember_simulator(control_url: str, **known) -> None:
    """Record (merge) what the platform knows of the running simulator: its control URL and,
    from the alerting demo, the demo tenant and which device is which simulated router."""
    from tenants.models import PlatformSetting

    setup = PlatformSetting.get(SIMULATOR_SETTING) or {}
    PlatformSetting.put(SIMULATOR_SETTING, {**setup, **known, "control_url": control_url})


def simulator_control(control_url: str, method: str, path: str, body: dict | None = None) -> dict:
    """One call to the simulator's control endpoint: its JSON answer. ValueError with the
    simulator's message when it refuses the input; SimulatorUnavailable when it does not answer."""
    import json
    import urllib.error
    import urllib.request

    if not control_url.startswith(("http://", "https://")):
        raise SimulatorUnavailable("the simulator control URL is not http(s)")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(control_url.rstrip("/") + path, data=data, method=method)  # noqa: S310 - http(s) only
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_S) as response:  # noqa: S310 - loopback URL we recorded
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:  # the simulator's 400 carries a message
        try:
            message = json.loads(exc.read()).get("error") or str(exc)
        except ValueError:
            message = str(exc)
        raise ValueError(message) from None
    except (OSError, ValueError) as exc:
        raise SimulatorUnavailable(f"simulator control endpoint unreachable: {type(exc).__name__}") from None


def simulator_subscriber_login(control_url: str, index: int, user: str, password: str, **options) -> dict:
    """Make simulated router `index` log a hotspot/PPP subscriber in against its `/radius`
    servers (control endpoint `POST /subscribers`): {"result": accept|reject|timeout|no-radius|not-sent, …}.
    ValueError for input the simulator refuses; SimulatorUnavailable when it is not running."""
    return simulator_control(
        control_url, "POST", "/subscribers", {"index": index, "user": user, "password": password, **options}
    )


def simulator_subscribers(control_url: str, index: int) -> dict:
    """{"sessions": [...], "ended": [...]} of simulated router `index` as a NAS."""
    return simulator_control(control_url, "GET", f"/subscribers?index={int(index)}")


def simulated_index(router) -> int | None:
    """The simulator index of a RADIUS Router that is a simulated router (its address is the
    router's own loopback address), else None."""
    from devices.simulator.fleet import address_of, index_of

    device = getattr(router, "device", None)
    if device is None or "simulated" not in (device.tags or []):
        return None
    index = index_of(router.address)
    return index if index is not None and address_of(index) == router.address else None


def setup_demo_nas(
    owner: User,
    routers: list[SimulatedRouter],
    control_url: str,
    *,
    index: int = 0,
    radius_host: str = "127.0.0.1",
    auth_port: int = 11812,
    acct_port: int = 11813,
    coa_port: int = 3799,
) -> str:
    """Register simulated router `index` as the demo tenant's NAS (linked to its Device, a
    generated secret) and point that router's `/radius` at the platform's RADIUS server, with
    `/radius incoming accept=yes` for Disconnect/CoA. Idempotent (the secret is kept). Returns
    a one-line summary."""
    import secrets as random_secrets

    from django.db import transaction

    from devices.models import Device
    from devices.simulator.fleet import address_of
    from radius import services as radius_services
    from radius.models import Router
    from tenants.access import load_site_scope, resolve_access
    from tenants.context import tenant_context
    from tenants.models import Tenant

    router = routers[index]
    address = address_of(index)  # the simulator sends RADIUS from here in every mode
    tenant = Tenant.objects.get(slug=DEMO_SLUG)
    remember_simulator(control_url)
    with transaction.atomic(), tenant_context(tenant.id):
        access = load_site_scope(resolve_access(owner, tenant))
        device = Device.objects.filter(tenant=tenant, name=router.name).first()
        nas = Router.objects.filter(tenant=tenant, name=DEMO_NAS_NAME).first()
        data = {"address": address, "coa_port": coa_port, "device": device}
        if nas is None:
            secret = random_secrets.token_urlsafe(24)
            nas = radius_services.create(
                access,
                Router,
                {"name": DEMO_NAS_NAME, **data, "comment": f"Simulated router #{index} as hotspot NAS (make run)."},
                secrets={"shared_secret": secret},
            )
            action = "registered"
        else:
            opened = radius_services.open_secret(nas, "shared_secret")
            secret = opened.reveal() if opened is not None else random_secrets.token_urlsafe(24)
            changes = {k: v for k, v in data.items() if getattr(nas, k) != v}
            if changes or opened is None:
                fresh = Router.objects.get(pk=nas.pk)
                nas = radius_services.update(
                    access, fresh, changes, secrets={} if opened is not None else {"shared_secret": secret}
                )
            action = "kept"
    for text in (
        "/radius remove [find]",
        f"/radius add service=hotspot,ppp address={radius_host} secret={secret} "
        f"authentication-port={auth_port} accounting-port={acct_port} timeout=1s",
        f"/radius incoming set accept=yes port={coa_port}",
    ):
        result = simulator_control(control_url, "POST", f"/devices/{index}/cli", {"text": text})
        if result.get("error"):
            raise SimulatorUnavailable(f"configuring the simulated router failed: {result['error']}")
    return f"NAS “{DEMO_NAS_NAME}” {action} at {address} → RADIUS {radius_host}:{auth_port}/{acct_port}"
