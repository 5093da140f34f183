"""Builders for test data. Tenant-scoped rows are created inside the tenant's context (RLS)."""

from __future__ import annotations

import itertools

from rest_framework.test import APIClient

from tenants.context import tenant_context
from tenants.models import Membership, MembershipSite, Site, Tenant, User

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_tenant(name: str | None = None, **extra) -> Tenant:
    n = next(_seq)
    name = name or f"Tenant {n}"
    slug = extra.pop("slug", None) or name.lower().replace(" ", "-")
    return Tenant.objects.create(name=name, slug=slug, **extra)


def make_site(tenant: Tenant, name: str | None = None) -> Site:
    name = name or f"Site {next(_seq)}"
    with tenant_context(tenant.id):
        return Site.objects.create(tenant=tenant, name=name, slug=name.lower().replace(" ", "-"))


def make_user(username: str | None = None, *, super_admin: bool = False, **extra) -> User:
    username = username or f"user{next(_seq)}"
    return User.objects.create_user(username=username, password=PASSWORD, is_super_admin=super_admin, **extra)


def add_member(user: User, tenant: Tenant, role: str, sites: list[Site] | None = None) -> Membership:
    membership = Membership.objects.create(user=user, tenant=tenant, role=role)
    if sites:
        with tenant_context(tenant.id):
            for site in sites:
                MembershipSite.objects.create(tenant=tenant, membership=membership, site=site)
    return membership


def api_client(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- Tokens and 2FA (auth engineer) ------------------------------------------------------------


def make_token(user: User, name: str = "test", *, days: int = 30) -> str:
    """A live API token for `user`; returns the raw key."""
    from datetime import timedelta

    from django.utils import timezone

    from tenants.models import APIToken

    _token, raw = APIToken.issue(user, name, timezone.now() + timedelta(days=days))
    return raw


def token_client(raw: str) -> APIClient:
    """A client that authenticates like a real API consumer (no force_authenticate)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def totp_code(user: User, *, steps_ahead: int = 0) -> str:
    """The code the user's authenticator app (confirmed or pending) shows now (+ steps)."""
    import time

    from django_otp.oath import TOTP

    from tenants.models import EncryptedTOTPDevice

    device = EncryptedTOTPDevice.objects.filter(user=user).order_by("-id").first()
    totp = TOTP(device.secret(), device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return str(totp.token()).zfill(device.digits)


def fresh_totp_code(user: User) -> str:
    """A current code the server will accept: forgets the last accepted step first (replay
    protection has its own test), and clears the throttle."""
    from tenants.models import EncryptedTOTPDevice

    EncryptedTOTPDevice.objects.filter(user=user).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    return totp_code(user)


def enrol_2fa(user: User) -> list[str]:
    """Switch 2FA on for `user` through the real service; returns the backup codes."""
    from tenants import twofactor

    twofactor.start_enrolment(user)
    return twofactor.confirm_enrolment(user, totp_code(user))


# --- Devices (inventory engineer, issue 4) -------------------------------------------------------


def make_credential_profile(
    tenant: Tenant, name: str | None = None, *, username: str = "admin", password: str = "sim-admin"
):
    """A credential profile with its password sealed by the tenant's key."""
    from devices.models import CredentialProfile
    from devices.services import set_secret

    with tenant_context(tenant.id):
        profile = CredentialProfile(tenant=tenant, name=name or f"Profile {next(_seq)}", username=username)
        set_secret(profile, "password", password)
        profile.save()
        return profile


def make_device(
    tenant: Tenant, site: Site | None = None, name: str | None = None, *, password: str | None = None, **fields
):
    """A device (no check run). `password` sets the per-device override; other fields as given."""
    from devices.models import Device
    from devices.services import set_secret

    with tenant_context(tenant.id):
        n = next(_seq)
        device = Device(
            tenant=tenant,
            site=site,
            name=name or f"Device {n}",
            host=fields.pop("host", f"192.0.2.{n % 250 + 1}"),
            **fields,
        )
        if password is not None:
            set_secret(device, "password", password)
        device.save()
        return device


def sim_device_fields(sim_device: dict, **extra) -> dict:
    """Device fields that reach simulated device `sim_device` (an entry of running_fleet's info)."""
    ports = sim_device["ports"]
    fields = {"host": sim_device["address"]}
    for proto, field in (
        ("api", "api_port"),
        ("api-ssl", "api_ssl_port"),
        ("ssh", "ssh_port"),
        ("rest", "rest_port"),
        ("snmp", "snmp_port"),
    ):
        if proto in ports:
            fields[field] = ports[proto]
    fields.update(extra)
    return fields


# --- end devices ---------------------------------------------------------------------------------
