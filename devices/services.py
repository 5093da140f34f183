"""The device inventory's verbs: the only way other code (views, tasks, the poller) touches devices.

What callers may rely on:
- Secrets are sealed with the tenant's key here (`set_secret`), bound to the row and field; the
  plaintext is never stored, returned, logged or put in an audit entry.
- `device_credentials`, `record_status`, `tls_context_for`, `remember_tls_fingerprint`,
  `mark_credentials_changed` and `classify_failure` are the poller's contract.
- Management verbs (`add_device`, `update_device`, `remove_device`, profile verbs, `import_devices`)
  check the caller's role and site scope, write inside the caller's transaction and audit.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import socket
import ssl
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from audit.services import record
from devices.keyring import KeyringError, Secret, decrypt_secret, encrypt_secret
from devices.models import (
    ConnectivityCheck,
    CredentialProfile,
    Device,
    DeviceEvent,
    DeviceStatus,
    TLSMode,
)
from devices.models.device import SECRET_PURPOSES
from tenants.access import TenantAccess
from tenants.roles import Action

# The RouterOS user group mikman needs (and nothing more): shown in the UI, compared by the check.
RECOMMENDED_GROUP_NAME = "mikman"
RECOMMENDED_POLICIES = (
    "read,write,api,ssh,rest-api,reboot,policy,sensitive,!ftp,!telnet,!winbox,!web,!password,!sniff,!romon,!local,!test"
)
REQUIRED_POLICIES = tuple(p for p in RECOMMENDED_POLICIES.split(",") if not p.startswith("!"))
RECOMMENDED_GROUP_COMMAND = (
    f'/user group add name={RECOMMENDED_GROUP_NAME} policy="{RECOMMENDED_POLICIES}" '
    'comment="mikman management"\n'
    f"/user add name=mikman group={RECOMMENDED_GROUP_NAME} password=<a long random password>"
)


class DeviceError(Exception):
    """A device operation that cannot be done; the message is safe to show (no secret)."""


class NoCredentials(DeviceError):
    pass


class TLSCertificateChanged(ssl.SSLCertVerificationError):
    """The device presented another certificate than the one pinned on first use."""

    def __init__(self, expected: str, seen: str):
        super().__init__(
            f"TLS certificate changed: expected sha256 {expected[:16]}…, the device presented {seen[:16]}…. "
            "If the router's certificate was replaced on purpose, clear the pinned fingerprint."
        )
        self.expected, self.seen = expected, seen

    def __str__(self) -> str:
        return self.args[0]


# --- secrets ------------------------------------------------------------------------------------


def set_secret(obj: Device | CredentialProfile, field: str, plaintext: str | None) -> None:
    """Seal `plaintext` into `obj.field` (None or "" clears it). `obj` must have its id."""
    if not plaintext:
        setattr(obj, field, None)
        return
    setattr(obj, field, encrypt_secret(obj.tenant_id, SECRET_PURPOSES[field], obj.pk, plaintext))


def open_secret(obj: Device | CredentialProfile, field: str) -> Secret | None:
    stored = getattr(obj, field)
    if stored is None:
        return None
    return decrypt_secret(obj.tenant_id, SECRET_PURPOSES[field], obj.pk, stored)


def device_credentials(device: Device) -> tuple[str, Secret]:
    """(username, password) to log in with: the device's override first, then its profile.

    Raises NoCredentials (a clear message) when neither gives both, KeyringError when the key
    backend cannot open the stored value."""
    profile = device.credential_profile if device.credential_profile_id else None
    username = device.username or (profile.username if profile else "")
    if device.password is not None:
        password = open_secret(device, "password")
    elif profile is not None:
        password = open_secret(profile, "password")
    else:
        password = None
    if not username or password is None:
        missing = " and ".join(w for w, v in (("user name", username), ("password", password)) if not v)
        raise NoCredentials(f"No {missing} configured: set a credential profile or a per-device override.")
    return username, password


def mark_credentials_changed(device: Device, by=None) -> None:
    """New credentials: the device may be polled again at once (clears auth_blocked and backoff)."""
    now = timezone.now()
    device.credentials_changed, device.credentials_changed_by = now, by
    device.auth_blocked, device.backoff_until, device.consecutive_failures = False, None, 0
    device.next_poll_at = now
    Device.objects.filter(pk=device.pk).update(
        credentials_changed=now,
        credentials_changed_by=by,
        auth_blocked=False,
        backoff_until=None,
        consecutive_failures=0,
        next_poll_at=now,
    )


# --- status -------------------------------------------------------------------------------------


def record_status(device: Device, status: str, reason: str = "", *, at=None) -> bool:
    """Set the device's status (and reason); on a change of status also write a DeviceEvent.
    Returns whether the status changed. `online` also sets `last_seen`."""
    status = DeviceStatus(status).value
    now = at or timezone.now()
    old = device.status
    changed = old != status
    fields = {"status": status, "status_reason": reason}
    if changed:
        fields["status_changed"] = now
    if status == DeviceStatus.ONLINE:
        fields["last_seen"] = now
    for name, value in fields.items():
        setattr(device, name, value)
    Device.objects.filter(pk=device.pk).update(**fields)
    if changed:
        DeviceEvent.objects.create(
            tenant_id=device.tenant_id, device=device, at=now, kind="status", old=old, new=status, reason=reason
        )
    from devices import live

    live.publish_on_commit(device.tenant_id, [live.device_update(device, changed=changed)])  # the pages' SSE
    return changed


FACT_FIELDS = ("identity", "model", "serial", "architecture", "ros_version", "firmware", "license_level", "uptime_s")


def apply_facts(device: Device, facts: dict, *, at=None) -> list[str]:
    """Store discovered facts (keys of FACT_FIELDS; others ignored); a version change is an event.
    Returns the names of the fields that changed."""
    now = at or timezone.now()
    changed = [k for k in FACT_FIELDS if k in facts and facts[k] is not None and getattr(device, k) != facts[k]]
    if not changed:
        return []
    for name in changed:
        if name in ("ros_version", "firmware") and getattr(device, name):
            DeviceEvent.objects.create(
                tenant_id=device.tenant_id,
                device=device,
                at=now,
                kind="facts",
                old=f"{name}={getattr(device, name)}",
                new=f"{name}={facts[name]}",
            )
        setattr(device, name, facts[name])
    Device.objects.filter(pk=device.pk).update(**{k: getattr(device, k) for k in changed})
    return changed


# --- TLS ----------------------------------------------------------------------------------------


def certificate_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


class _Pinning:
    def do_handshake(self, *args, **kwargs):
        super().do_handshake(*args, **kwargs)
        context = self.context
        der = self.getpeercert(binary_form=True)
        seen = certificate_fingerprint(der) if der else ""
        context.seen_fingerprint = seen
        expected = context.expected_fingerprint
        if expected and seen != expected:
            raise TLSCertificateChanged(expected, seen)


class _PinnedSSLObject(_Pinning, ssl.SSLObject):
    pass


class _PinnedSSLSocket(_Pinning, ssl.SSLSocket):
    pass


class PinnedSSLContext(ssl.SSLContext):
    """Accepts any certificate on first use (records `seen_fingerprint`); with an
    `expected_fingerprint`, the handshake fails with TLSCertificateChanged on any other one —
    before a password is ever sent. Works for asyncio (wrap_bio) and plain sockets."""

    sslobject_class = _PinnedSSLObject
    sslsocket_class = _PinnedSSLSocket
    expected_fingerprint = ""
    seen_fingerprint = ""


def tls_context_for(device: Device) -> ssl.SSLContext:
    """The client TLS context for API-SSL/REST on this device, per its `tls_mode`:
    - ca: verified against `tls_ca_pem` (no host name check: routers are reached by address);
    - fingerprint: a PinnedSSLContext (records the peer's sha256 on first use — call
      `remember_tls_fingerprint` after a successful login — then insists on it);
    - insecure: no verification at all (only when a user chose it).
    Raises DeviceError for an unusable CA certificate."""
    mode = device.tls_mode
    if mode == TLSMode.CA:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_REQUIRED
        try:
            context.load_verify_locations(cadata=device.tls_ca_pem)
        except (ssl.SSLError, ValueError, TypeError) as exc:
            raise DeviceError("The device's CA certificate is not a valid PEM certificate.") from exc
        return context
    context = PinnedSSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if mode == TLSMode.FINGERPRINT:
        context.expected_fingerprint = (device.tls_fingerprint or "").lower()
    return context


def remember_tls_fingerprint(device: Device, context: ssl.SSLContext | None) -> bool:
    """Trust on first use: pin the certificate seen by `context` if the device has none yet."""
    if device.tls_mode != TLSMode.FINGERPRINT or device.tls_fingerprint:
        return False
    seen = getattr(context, "seen_fingerprint", "")
    if not seen:
        return False
    device.tls_fingerprint = seen
    Device.objects.filter(pk=device.pk, tls_fingerprint="").update(tls_fingerprint=seen)
    DeviceEvent.objects.create(
        tenant_id=device.tenant_id,
        device=device,
        at=timezone.now(),
        kind="tls",
        new=seen,
        reason="Certificate pinned on first use.",
    )
    return True


# --- failures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    status: str  # the DeviceStatus to record
    outcome: str  # machine-readable: refused, timeout, tls_mismatch, auth_failed, …
    message: str  # for people; never a secret


def classify_failure(exc: BaseException, *, port: int | None = None, timeout: float | None = None) -> Failure:
    """What a connection/login failure means, as a status, an outcome code and a message."""
    from librouteros.exceptions import ConnectionClosed, FatalError, TrapError

    where = f" on port {port}" if port else ""
    if isinstance(exc, NoCredentials):
        return Failure(DeviceStatus.AUTH_FAILED, "no_credentials", str(exc))
    if isinstance(exc, KeyringError):
        return Failure(DeviceStatus.UNKNOWN, "key_unavailable", "The stored credentials cannot be opened right now.")
    if isinstance(exc, TLSCertificateChanged):
        return Failure(DeviceStatus.UNREACHABLE, "tls_mismatch", str(exc))
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Failure(
            DeviceStatus.UNREACHABLE,
            "tls_untrusted",
            f"TLS certificate not trusted: {exc.verify_message or exc.reason or exc}",
        )
    if isinstance(exc, ssl.SSLError):
        return Failure(DeviceStatus.UNREACHABLE, "tls_error", f"TLS handshake failed{where}: {exc.reason or exc}")
    if isinstance(exc, TrapError):
        return Failure(DeviceStatus.AUTH_FAILED, "auth_failed", f"RouterOS refused the login: {exc.message}")
    if isinstance(exc, ConnectionRefusedError) or (isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED):
        return Failure(DeviceStatus.OFFLINE, "refused", f"Connection refused{where} (device down or service off).")
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, ConnectionClosed, BrokenPipeError)):
        return Failure(DeviceStatus.OFFLINE, "reset", f"The device closed the connection{where}.")
    if isinstance(exc, FatalError):
        return Failure(DeviceStatus.OFFLINE, "fatal", f"The device ended the session: {exc}")
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError, socket.timeout)):
        secs = f" within {timeout:g} s" if timeout else ""
        return Failure(DeviceStatus.UNREACHABLE, "timeout", f"No answer{where}{secs}.")
    if isinstance(exc, socket.gaierror):
        return Failure(DeviceStatus.UNREACHABLE, "dns", "The host name does not resolve.")
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return Failure(DeviceStatus.UNREACHABLE, "no_route", "No route to the device.")
    if isinstance(exc, OSError):
        return Failure(
            DeviceStatus.UNREACHABLE, "network", f"Network error{where}: {exc.strerror or type(exc).__name__}"
        )
    if isinstance(exc, DeviceError):
        return Failure(DeviceStatus.UNREACHABLE, "config", str(exc))
    return Failure(
        DeviceStatus.UNREACHABLE, "protocol_error", f"Unexpected reply from the device ({type(exc).__name__})."
    )


# --- management verbs ---------------------------------------------------------------------------

DEVICE_SECRET_FIELDS = ("password", "snmp_community", "snmp_v3_auth_key", "snmp_v3_priv_key")
PROFILE_SECRET_FIELDS = ("password", "ssh_private_key")
TRACKED_DEVICE_FIELDS = (
    "name",
    "host",
    "site",
    "api_port",
    "api_ssl_port",
    "ssh_port",
    "rest_port",
    "snmp_port",
    "protocol",
    "fallback_protocols",
    "tls_mode",
    "tls_fingerprint",
    "tags",
    "credential_profile",
    "username",
    "snmp_version",
    "snmp_v3_user",
    "poll_interval_s",
    "backup_interval_hours",
    "enabled",
    "notes",
)
# audit.redaction masks keys naming credentials; the profile's *name* is not a secret
AUDIT_NAMES = {"credential_profile": "profile"}
CREDENTIAL_FIELDS = {"username", "credential_profile", *DEVICE_SECRET_FIELDS}


def _require(access: TenantAccess, action: Action) -> None:
    if not access.allows(action):
        raise PermissionDenied(f"Your role ({access.role}) may not {action.replace('_', ' ')}.")


def _check_site(access: TenantAccess, site) -> None:
    site_id = site.pk if site is not None else None
    if access.site_ids is not None and site_id not in access.site_ids:
        raise ValidationError({"site": "You may only add devices to your own sites."})


def _value_for_audit(value):
    if hasattr(value, "pk"):
        return str(value)
    return value


def _unique_name(model, tenant, name: str, exclude_pk=None) -> None:
    clash = model.objects.filter(tenant=tenant, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if name and clash.exists():
        raise ValidationError({"name": f"Another {model._meta.verbose_name} of this tenant is named “{name}”."})


def add_device(access: TenantAccess, data: dict, *, secrets: dict | None = None) -> Device:
    """Create a device from validated `data` (model field values) and plaintext `secrets`
    ({field: plaintext}); audited as device.added (secrets: only which ones were set)."""
    _require(access, Action.MANAGE_DEVICES)
    _check_site(access, data.get("site"))
    _unique_name(Device, access.tenant, data.get("name", ""))
    device = Device(tenant=access.tenant, **data)
    secrets = {k: v for k, v in (secrets or {}).items() if v}
    for field, plaintext in secrets.items():
        set_secret(device, field, plaintext)
    if secrets or device.username or device.credential_profile_id:
        device.credentials_changed, device.credentials_changed_by = timezone.now(), access.user
    device.full_clean(exclude=["tenant", *DEVICE_SECRET_FIELDS], validate_unique=False, validate_constraints=False)
    device.save()
    record(
        "device.added",
        user=access.user,
        tenant=access.tenant,
        target=device,
        details={
            "host": device.host,
            "protocol": device.protocol,
            "profile": str(device.credential_profile) if device.credential_profile_id else "",
            "sealed_fields": sorted(secrets),
        },
    )
    return device


def update_device(access: TenantAccess, device: Device, data: dict, *, secrets: dict | None = None) -> Device:
    """Change fields (`data`) and secrets (`secrets`: {field: plaintext or "" to clear});
    credentials changing clears auth_blocked. Audited with old → new (secrets: names only)."""
    _require(access, Action.MANAGE_DEVICES)
    if "site" in data:
        _check_site(access, data["site"])
    if "name" in data:
        _unique_name(Device, access.tenant, data["name"], device.pk)
    before = {f: _value_for_audit(getattr(device, f)) for f in TRACKED_DEVICE_FIELDS}
    for field, value in data.items():
        setattr(device, field, value)
    if device.backup_interval_hours != before["backup_interval_hours"]:
        device.next_backup_at = None  # a new schedule starts at the scheduler's next tick
    secrets = dict(secrets or {})
    for field, plaintext in secrets.items():
        set_secret(device, field, plaintext)
    device.full_clean(exclude=["tenant", *DEVICE_SECRET_FIELDS], validate_unique=False, validate_constraints=False)
    device.save()
    changes = {
        AUDIT_NAMES.get(f, f): [before[f], _value_for_audit(getattr(device, f))]
        for f in TRACKED_DEVICE_FIELDS
        if before[f] != _value_for_audit(getattr(device, f))
    }
    credentials = bool(secrets) or any(
        before[f] != _value_for_audit(getattr(device, f)) for f in CREDENTIAL_FIELDS if f in before
    )
    if credentials:
        mark_credentials_changed(device, by=access.user)
    if changes or secrets:
        record(
            "device.changed",
            user=access.user,
            tenant=access.tenant,
            target=device,
            details={"changes": changes, "sealed_fields": sorted(secrets)},
        )
    return device


def remove_device(access: TenantAccess, device: Device) -> None:
    _require(access, Action.MANAGE_DEVICES)
    record(
        "device.removed",
        user=access.user,
        tenant=access.tenant,
        target=device,
        details={"host": device.host, "identity": device.identity},
    )
    device.delete()


def retry_device(access: TenantAccess, device: Device) -> Device:
    """A user asks to try again: clear auth_blocked and the backoff, poll at once."""
    _require(access, Action.OPERATE)
    now = timezone.now()
    Device.objects.filter(pk=device.pk).update(
        auth_blocked=False, backoff_until=None, consecutive_failures=0, next_poll_at=now
    )
    device.auth_blocked, device.backoff_until, device.consecutive_failures, device.next_poll_at = False, None, 0, now
    record("device.retry", user=access.user, tenant=access.tenant, target=device)
    return device


def save_profile(
    access: TenantAccess, profile: CredentialProfile | None, data: dict, *, secrets: dict | None = None
) -> CredentialProfile:
    """Create (profile None) or change a credential profile. A new profile needs a password;
    changing its username or secrets marks every device using it as changed (unblocks them)."""
    _require(access, Action.MANAGE_DEVICES)
    creating = profile is None
    profile = profile or CredentialProfile(tenant=access.tenant)
    old_username = profile.username
    if "name" in data:
        _unique_name(CredentialProfile, access.tenant, data["name"], profile.pk if not creating else None)
    for field, value in data.items():
        setattr(profile, field, value)
    secrets = {k: v for k, v in (secrets or {}).items() if v is not None and (v or k != "password")}
    if creating and not secrets.get("password"):
        raise ValidationError({"password": "A new credential profile needs a password."})
    for field, plaintext in secrets.items():
        set_secret(profile, field, plaintext)
    credentials = bool(secrets) or (not creating and old_username != profile.username)
    if creating or credentials:
        profile.changed_at, profile.changed_by = timezone.now(), access.user
    profile.full_clean(exclude=["tenant", *PROFILE_SECRET_FIELDS], validate_unique=False, validate_constraints=False)
    profile.save()
    if credentials and not creating:
        for device in Device.objects.filter(tenant=access.tenant, credential_profile=profile, password__isnull=True):
            mark_credentials_changed(device, by=access.user)
    record(
        "credential_profile.created" if creating else "credential_profile.changed",
        user=access.user,
        tenant=access.tenant,
        target=profile,
        details={
            "username": profile.username,
            "username_changed": (not creating and old_username != profile.username),
            "sealed_fields": sorted(secrets),
        },
    )
    return profile


def delete_profile(access: TenantAccess, profile: CredentialProfile) -> None:
    _require(access, Action.MANAGE_DEVICES)
    used = Device.objects.filter(credential_profile=profile).count()
    if used:
        raise ValidationError(f"“{profile.name}” is used by {used} device(s); move them to another profile first.")
    record("credential_profile.deleted", user=access.user, tenant=access.tenant, target=profile)
    try:
        profile.delete()
    except ProtectedError as exc:  # a device took it meanwhile
        raise ValidationError(f"“{profile.name}” is in use.") from exc


# --- connectivity checks ------------------------------------------------------------------------


def request_check(access: TenantAccess, device: Device) -> ConnectivityCheck:
    """Queue a connectivity check (run by devices.tasks.run_connectivity_check once this
    transaction commits). Audited as a credential use for an interactive action."""
    _require(access, Action.OPERATE)
    check = ConnectivityCheck.objects.create(
        tenant=access.tenant, device=device, requested_by=access.user, progress="Queued"
    )
    record(
        "device.check_requested",
        user=access.user,
        tenant=access.tenant,
        site=device.site_id,
        target=device,
        details={"check": str(check.pk), "logs_in": True},
    )
    from devices.tasks import run_connectivity_check

    tenant_id, check_id = str(access.tenant.id), str(check.pk)
    # robust: a broker outage after the commit must not turn the saved change into a 500 (the
    # check then stays "queued" and can be started again)
    transaction.on_commit(lambda: run_connectivity_check.delay(tenant_id, check_id), robust=True)
    return check


@transaction.atomic
def add_device_and_check(access: TenantAccess, data: dict, *, secrets: dict | None = None):
    device = add_device(access, data, secrets=secrets)
    return device, request_check(access, device)
