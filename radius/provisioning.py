"""Router provisioning: make a NAS's managed device a RADIUS client of this User Manager.

The script is pushed through the devices layer's push (preview, rollback timer, job, audit):
`devices.push.services`. The shared secret is in it only as `secret=********`; the push worker
asks `_nas_secret` for the plaintext while it builds the device's work, so job parameters, the
preview, audit details and API answers never hold it.

Idempotent on the router: our `/radius` entry is found by its comment and updated in place; it is
added only when missing. `require-message-auth` needs RouterOS 7.15+ or 6.49.15+ (BlastRADIUS);
an older router refuses the line and the push restores its previous configuration.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from audit.redaction import MASK
from devices.push.services import preview_device_push, push_to_device, register_secret_source
from radius.models import Router
from tenants.access import TenantAccess
from tenants.roles import Action

SECRET_SOURCE = "radius.router"
SERVICES = "hotspot,ppp,login"


def entry_comment(router: Router) -> str:
    """What marks our `/radius` entry on the device (by NAS id: renaming the NAS keeps it)."""
    return f"mikman-user-manager-{router.pk}"


def platform_address() -> str:
    """The address routers send RADIUS to (RADIUS_PUBLIC_ADDRESS, else the server's bind address)."""
    raw = (settings.RADIUS_PUBLIC_ADDRESS or "").strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        address = None
    if address is None or address.is_unspecified:
        raise ValidationError(
            {
                "address": "Set RADIUS_PUBLIC_ADDRESS to the address routers reach the RADIUS server at "
                f"(now {raw or 'empty'!r}): provisioning cannot tell a router to use it."
            }
        )
    return str(address)


def provisioning_script(router: Router) -> str:
    """The RouterOS script for `router`'s device, the secret masked."""
    address = platform_address()
    comment = entry_comment(router)
    settings_line = (
        f"address={address} secret={MASK} service={SERVICES} "
        f"authentication-port={settings.RADIUS_AUTH_PORT} accounting-port={settings.RADIUS_ACCT_PORT} "
        "require-message-auth=yes-for-request-resp"
    )
    return (
        "/radius\n"
        f':if ([:len [find where comment="{comment}"]] = 0) do={{ add comment="{comment}" address={address} }}\n'
        f'set [find where comment="{comment}"] {settings_line}\n'
        f"/radius incoming set accept=yes port={router.coa_port}\n"
        f"/ppp aaa set use-radius=yes accounting=yes interim-update={settings.RADIUS_INTERIM_UPDATE_S}s\n"
        "/ip hotspot profile set [find] use-radius=yes\n"
    )


def _check(access: TenantAccess, router: Router) -> None:
    if not access.allows(Action.PUSH_CONFIG):
        raise PermissionDenied(
            f"Your role ({access.role}) may not provision routers: it pushes configuration (admins only)."
        )
    if router.device_id is None:
        raise ValidationError({"device": f"{router} is not linked to a managed device: link one to provision it."})
    if router.shared_secret is None:
        raise ValidationError({"shared_secret": f"{router} has no shared secret: set one first."})


def preview_provisioning(access: TenantAccess, router: Router, *, rollback_s: int | None = None):
    """What provisioning would push (devices.push.preview.PushPreview), before anything is sent."""
    _check(access, router)
    script = provisioning_script(router)
    secrets = [(SECRET_SOURCE, str(router.pk))]
    return preview_device_push(access, router.device, script, secrets=secrets, rollback_s=rollback_s)


def provision_router(access: TenantAccess, router: Router, *, rollback_s: int | None = None):
    """Start the push job that provisions `router`'s device; returns the Job (audited by the job
    runner as `job.started`, plus `radius.router.provisioned` here)."""
    from audit.services import record

    _check(access, router)
    script = provisioning_script(router)
    job = push_to_device(
        access, router.device, script, secrets=[(SECRET_SOURCE, str(router.pk))], rollback_s=rollback_s
    )
    record(
        "radius.router.provisioned",
        user=access.user,
        tenant=access.tenant,
        target=router,
        details={"device": router.device.name, "job": str(job.pk), "radius_address": platform_address()},
    )
    return job


def _nas_secret(ref: str) -> str:
    """The NAS's plaintext secret, for the push worker only (tenant context set by the job)."""
    from radius.services import open_secret

    router = Router.objects.filter(pk=ref).first()
    secret = open_secret(router, "shared_secret") if router is not None else None
    if secret is None:
        raise ValidationError("The router (NAS) or its shared secret no longer exists.")
    return routeros_quote(secret.reveal())


def routeros_quote(value: str) -> str:
    """A RouterOS string literal: double quotes, with \\ " $ ? and control characters escaped."""
    out = []
    for ch in value:
        if ch in '\\"$?':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


register_secret_source(SECRET_SOURCE, _nas_secret)
