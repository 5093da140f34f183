"""Device rows → `PollTarget`s (inside the tenant's context, in the task thread).

Credentials come from `devices.services.device_credentials` (decrypted secrets are cached by the
keyring for 5 minutes); TLS contexts from `devices.services.tls_context_for`, cached per device
and connection settings so a pooled connection's context is not rebuilt every poll. The target's
`fingerprint` changes whenever anything that shapes the connection changes (host, ports,
protocol, TLS settings, credentials): the engine then closes the pooled connection and logs in
afresh.

Endpoints per protocol: API-SSL and REST get the device's TLS context (separate context objects:
httpx sets ALPN on the one it is given), API none, SNMP the decrypted community or v3 keys
(`SnmpAuth`), SSH the pinned host key (trust on first use: the writer pins the key a first
connection saw). SNMP needs no login: an SNMP-only device polls without a username/password.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
from collections import OrderedDict

from devices.models import Device, Protocol

from .engine import Endpoint, PollTarget

SUPPORTED = tuple(p.value for p in Protocol)
LOGIN_PROTOCOLS = (Protocol.API_SSL.value, Protocol.API.value, Protocol.REST.value, Protocol.SSH.value)
_CONTEXTS: OrderedDict[tuple, ssl.SSLContext] = OrderedDict()
_CONTEXTS_MAX = 20000
_contexts_lock = threading.Lock()


class Unpollable(Exception):
    """The device cannot be polled as configured; `status` and the message say why (no secret)."""

    def __init__(self, status: str, message: str, *, block: bool = False):
        super().__init__(message)
        self.status, self.block = status, block


def connection_fingerprint(device: Device) -> str:
    profile = device.credential_profile if device.credential_profile_id else None
    parts = (
        device.host,
        device.protocol,
        ",".join(device.fallback_protocols or []),
        device.api_port,
        device.api_ssl_port,
        device.rest_port,
        device.snmp_port,
        device.ssh_port,
        device.ssh_host_key,
        device.snmp_version,
        device.snmp_v3_user,
        device.tls_mode,
        device.tls_fingerprint,
        hashlib.sha256((device.tls_ca_pem or "").encode()).hexdigest()[:16],
        device.username,
        device.credential_profile_id,
        device.credentials_changed.isoformat() if device.credentials_changed else "",
        profile.changed_at.isoformat() if profile is not None and profile.changed_at else "",
    )
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _tls_context(device: Device, fingerprint: str, protocol: str = Protocol.API_SSL.value) -> ssl.SSLContext:
    from devices.services import tls_context_for

    key = (str(device.pk), fingerprint, protocol)
    with _contexts_lock:
        context = _CONTEXTS.get(key)
        if context is not None:
            _CONTEXTS.move_to_end(key)
            return context
    context = tls_context_for(device)
    with _contexts_lock:
        _CONTEXTS[key] = context
        while len(_CONTEXTS) > _CONTEXTS_MAX:
            _CONTEXTS.popitem(last=False)
    return context


def tls_context_used(device: Device, protocol: str = Protocol.API_SSL.value) -> ssl.SSLContext | None:
    """The cached context the engine used for this device (for trust-on-first-use pinning)."""
    with _contexts_lock:
        return _CONTEXTS.get((str(device.pk), connection_fingerprint(device), protocol))


def snmp_auth(device: Device):
    """The device's SNMP credentials, decrypted (Unpollable when SNMP is not configured)."""
    from devices.protocols.snmp import SnmpAuth
    from devices.services import open_secret

    if device.snmp_version == "v3":
        if not device.snmp_v3_user:
            raise Unpollable("auth_failed", "SNMP v3 is selected but no v3 user is configured.")
        return SnmpAuth(
            "v3",
            user=device.snmp_v3_user,
            auth_key=open_secret(device, "snmp_v3_auth_key") if device.snmp_v3_auth_key is not None else None,
            priv_key=open_secret(device, "snmp_v3_priv_key") if device.snmp_v3_priv_key is not None else None,
            auth_protocol=getattr(device, "snmp_v3_auth_protocol", "") or "SHA1",
            priv_protocol=getattr(device, "snmp_v3_priv_protocol", "") or "AES",
        )
    if device.snmp_community is None:
        raise Unpollable("auth_failed", "SNMP is selected but no SNMP community is configured.")
    return SnmpAuth("v2c", community=open_secret(device, "snmp_community"))


def build_target(device: Device, due: float) -> PollTarget:
    """Raises Unpollable (no supported protocol, no credentials, unusable CA, key unavailable)."""
    from devices.keyring import KeyringError
    from devices.services import DeviceError, NoCredentials, device_credentials

    fingerprint = connection_fingerprint(device)
    endpoints = []
    try:
        for proto in device.protocols_to_try():
            if proto == Protocol.API_SSL:
                endpoints.append(Endpoint(proto, device.api_ssl_port, _tls_context(device, fingerprint)))
            elif proto == Protocol.API:
                endpoints.append(Endpoint(proto, device.api_port, None))
            elif proto == Protocol.SSH:
                endpoints.append(Endpoint(proto, device.ssh_port, None, host_key=device.ssh_host_key))
            elif proto == Protocol.REST:
                endpoints.append(Endpoint(proto, device.rest_port, _tls_context(device, fingerprint, proto)))
            elif proto == Protocol.SNMP:
                try:
                    auth = snmp_auth(device)
                except Unpollable:
                    if proto == device.protocol:
                        raise
                    continue  # an unconfigured SNMP fallback is simply not one
                endpoints.append(Endpoint(proto, device.snmp_port, None, snmp=auth))
    except DeviceError as exc:
        raise Unpollable("unreachable", str(exc)) from None
    except KeyringError:
        raise Unpollable("unknown", "The stored SNMP credentials cannot be opened right now.") from None
    if not endpoints:
        raise Unpollable("degraded", "No protocol to poll over is configured.")
    username, password = "", None
    if any(e.protocol in LOGIN_PROTOCOLS for e in endpoints):
        try:
            username, password = device_credentials(device)
        except NoCredentials as exc:
            snmp_only = [e for e in endpoints if e.protocol == Protocol.SNMP]
            if not snmp_only:
                raise Unpollable("auth_failed", str(exc), block=True) from None
            endpoints = snmp_only  # no login configured: SNMP still works
        except KeyringError:
            raise Unpollable("unknown", "The stored credentials cannot be opened right now.") from None
    return PollTarget(
        device_id=str(device.pk),
        tenant_id=str(device.tenant_id),
        host=device.host,
        endpoints=endpoints,
        username=username,
        password=password,
        fingerprint=fingerprint,
        due=due,
    )
