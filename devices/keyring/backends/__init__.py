"""Choosing the key backend from settings: `MIKMAN_KEY_BACKEND=local|vault`.

Backends are built once per configuration and reused (an hvac client keeps its connection pool
and AppRole token); a settings change (tests, `override_settings`) builds a new one.
"""

from __future__ import annotations

import threading

from django.conf import settings

from ..errors import KeyBackendUnavailable
from .base import KeyBackend, WrappedKey
from .local import LocalKeyring
from .vault import VaultConfig, VaultTransit

__all__ = [
    "KeyBackend",
    "LocalKeyring",
    "VaultConfig",
    "VaultTransit",
    "WrappedKey",
    "backend_named",
    "current_backend",
]

BACKENDS = ("local", "vault")
_lock = threading.Lock()
_built: dict[object, KeyBackend] = {}


def vault_config() -> VaultConfig:
    return VaultConfig(
        addr=(getattr(settings, "VAULT_ADDR", "") or "").rstrip("/"),
        token=getattr(settings, "VAULT_TOKEN", "") or "",
        role_id=getattr(settings, "VAULT_ROLE_ID", "") or "",
        secret_id=getattr(settings, "VAULT_SECRET_ID", "") or "",
        approle_mount=getattr(settings, "VAULT_APPROLE_MOUNT", "approle") or "approle",
        cacert=getattr(settings, "VAULT_CACERT", "") or "",
        mount=getattr(settings, "VAULT_TRANSIT_MOUNT", "transit") or "transit",
        namespace=getattr(settings, "VAULT_NAMESPACE", "") or "",
        timeout=int(getattr(settings, "VAULT_TIMEOUT", 5)),
    )


def current_backend() -> KeyBackend:
    """The backend that wraps new data keys (and that rotation rewraps into)."""
    return backend_named(getattr(settings, "MIKMAN_KEY_BACKEND", "local"))


def backend_named(name: str) -> KeyBackend:
    """The backend a stored secret names (a secret wrapped by Vault stays readable through Vault
    after the platform switches to another backend, until rotation moves it)."""
    if name == "local":
        key: object = "local"
    elif name == "vault":
        key = vault_config()
    else:
        raise KeyBackendUnavailable(f"Unknown key backend {name!r}: MIKMAN_KEY_BACKEND is 'local' or 'vault'.")
    with _lock:
        backend = _built.get(key)
        if backend is None:
            backend = LocalKeyring() if name == "local" else VaultTransit(key)  # type: ignore[arg-type]
            _built[key] = backend
        return backend
