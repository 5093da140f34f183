"""OpenBao / HashiCorp Vault Transit: one transit key per tenant, named `mikman-tenant-<uuid>`.

The tenant's key never leaves the server: Vault generates each data key (`datakey/plaintext`,
one round trip), unwraps it (`decrypt`) and rewraps it after rotation (`rewrap`, which never
shows us the data key). Authentication is a token (VAULT_TOKEN) or AppRole (VAULT_ROLE_ID +
VAULT_SECRET_ID, logged in lazily and again when the token expires). TLS is verified against
VAULT_CACERT when given, the system store otherwise.

Every failure becomes one of the keyring's exceptions; messages name the server and what to
check, never a token or secret id. The policy the platform's token needs:

    path "<mount>/keys/mikman-tenant-*"            { capabilities = ["create", "read", "update", "delete"] }
    path "<mount>/keys/mikman-tenant-*/config"     { capabilities = ["update"] }
    path "<mount>/keys/mikman-tenant-*/rotate"     { capabilities = ["update"] }
    path "<mount>/datakey/plaintext/mikman-tenant-*" { capabilities = ["update"] }
    path "<mount>/decrypt/mikman-tenant-*"         { capabilities = ["update"] }
    path "<mount>/encrypt/mikman-tenant-*"         { capabilities = ["update"] }
    path "<mount>/rewrap/mikman-tenant-*"          { capabilities = ["update"] }
"""

from __future__ import annotations

import base64
import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import hvac
import requests
from hvac import exceptions as hvac_errors

from ..errors import KeyBackendUnavailable, KeyringError, SecretDecryptionError, TenantKeyMissing
from .base import WrappedKey

NAME = "vault"
KEY_PREFIX = "mikman-tenant-"
REWRAP_BATCH = 100

T = TypeVar("T")


@dataclass(frozen=True)
class VaultConfig:
    addr: str
    token: str = ""
    role_id: str = ""
    secret_id: str = ""
    approle_mount: str = "approle"
    cacert: str = ""
    mount: str = "transit"
    namespace: str = ""
    timeout: int = 5

    def __repr__(self) -> str:  # the dataclass default would print the token and secret id
        return f"VaultConfig(addr={self.addr!r}, mount={self.mount!r}, auth={self.auth_method!r})"

    @property
    def auth_method(self) -> str:
        return "approle" if self.role_id else "token"


def key_name(tenant_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}{tenant_id}"


def _version_of(ciphertext: str) -> int:
    """`vault:v3:…` → 3."""
    try:
        prefix, version, _ = ciphertext.split(":", 2)
        if prefix != "vault" or not version.startswith("v"):
            raise ValueError
        return int(version[1:])
    except ValueError:
        raise SecretDecryptionError("The wrapped data key is not a Vault transit ciphertext.") from None


class VaultTransit:
    """KeyBackend over a Vault/OpenBao transit mount."""

    name = NAME

    def __init__(self, config: VaultConfig) -> None:
        if not config.addr:
            raise KeyBackendUnavailable("MIKMAN_KEY_BACKEND=vault but VAULT_ADDR is not set: set it to the server URL.")
        if not config.token and not (config.role_id and config.secret_id):
            raise KeyBackendUnavailable(
                f"No credentials for {self._where(config)}: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID."
            )
        self.config = config
        self._lock = threading.Lock()
        self._client: hvac.Client | None = None

    def __repr__(self) -> str:
        return f"VaultTransit({self.config!r})"

    @staticmethod
    def _where(config: VaultConfig) -> str:
        return f"OpenBao/Vault at {config.addr} (transit mount {config.mount!r})"

    def describe(self) -> str:
        return self._where(self.config)

    # --- key lifecycle -------------------------------------------------------------------------
    def create_key(self, tenant_id: uuid.UUID) -> int:
        name, mount = key_name(tenant_id), self.config.mount

        def create(transit) -> int:
            transit.create_key(name, key_type="aes256-gcm96", exportable=False, mount_point=mount)
            return int(transit.read_key(name, mount_point=mount)["data"]["latest_version"])

        return self._run(f"creating tenant {tenant_id}'s key", None, create)

    def destroy_key(self, tenant_id: uuid.UUID) -> None:
        name, mount = key_name(tenant_id), self.config.mount

        def destroy(transit) -> None:
            try:
                transit.update_key_configuration(name, deletion_allowed=True, mount_point=mount)
            except (hvac_errors.InvalidPath, hvac_errors.InvalidRequest) as exc:
                if isinstance(exc, hvac_errors.InvalidPath) or "not found" in str(exc.args[0] if exc.args else ""):
                    return  # already gone: destroying is idempotent
                raise
            transit.delete_key(name, mount_point=mount)

        self._run(f"destroying tenant {tenant_id}'s key", None, destroy)

    def rotate(self, tenant_id: uuid.UUID) -> int:
        name, mount = key_name(tenant_id), self.config.mount

        def rotate(transit) -> int:
            transit.rotate_key(name, mount_point=mount)
            return int(transit.read_key(name, mount_point=mount)["data"]["latest_version"])

        return self._run(f"rotating tenant {tenant_id}'s key", tenant_id, rotate)

    # --- data keys -----------------------------------------------------------------------------
    def generate_data_key(self, tenant_id: uuid.UUID) -> tuple[bytes, WrappedKey]:
        data = self._run(
            f"generating a data key for tenant {tenant_id}",
            tenant_id,
            lambda transit: transit.generate_data_key(
                key_name(tenant_id), key_type="plaintext", bits=256, mount_point=self.config.mount
            )["data"],
        )
        return base64.b64decode(data["plaintext"]), WrappedKey(data["ciphertext"], _version_of(data["ciphertext"]))

    def wrap(self, tenant_id: uuid.UUID, data_key: bytes) -> WrappedKey:
        plaintext = base64.b64encode(data_key).decode()
        data = self._run(
            f"wrapping a data key for tenant {tenant_id}",
            tenant_id,
            lambda transit: transit.encrypt_data(key_name(tenant_id), plaintext, mount_point=self.config.mount)["data"],
        )
        return WrappedKey(data["ciphertext"], _version_of(data["ciphertext"]))

    def unwrap(self, tenant_id: uuid.UUID, wrapped: str) -> bytes:
        _version_of(wrapped)
        data = self._run(
            f"unwrapping a data key of tenant {tenant_id}",
            tenant_id,
            lambda transit: transit.decrypt_data(key_name(tenant_id), wrapped, mount_point=self.config.mount)["data"],
        )
        return base64.b64decode(data["plaintext"])

    def rewrap(self, tenant_id: uuid.UUID, wrapped: list[str]) -> list[WrappedKey]:
        out: list[WrappedKey] = []
        for start in range(0, len(wrapped), REWRAP_BATCH):
            chunk = wrapped[start : start + REWRAP_BATCH]
            results = self._run(
                f"rewrapping data keys of tenant {tenant_id}",
                tenant_id,
                lambda transit, chunk=chunk: transit.rewrap_data(
                    key_name(tenant_id),
                    ciphertext=chunk[0],
                    batch_input=[{"ciphertext": item} for item in chunk],
                    mount_point=self.config.mount,
                )["data"]["batch_results"],
            )
            for item in results:
                if item.get("error"):
                    raise SecretDecryptionError(
                        f"Vault could not rewrap a data key of tenant {tenant_id}: {item['error']}."
                    )
                out.append(WrappedKey(item["ciphertext"], _version_of(item["ciphertext"])))
        return out

    # --- connection and errors -----------------------------------------------------------------
    def _run(self, action: str, tenant_id: uuid.UUID | None, call: Callable[..., T]) -> T:
        """`call(transit)` with errors translated; an AppRole token that expired is renewed once."""
        with self._errors(action, tenant_id):
            try:
                return call(self._authenticated().secrets.transit)
            except (hvac_errors.Unauthorized, hvac_errors.Forbidden):
                if self.config.auth_method != "approle":
                    raise
                self._forget_client()
                return call(self._authenticated().secrets.transit)

    def _forget_client(self) -> None:
        with self._lock:
            self._client = None

    def _authenticated(self) -> hvac.Client:
        with self._lock:
            if self._client is None:
                cfg = self.config
                client = hvac.Client(
                    url=cfg.addr,
                    token=cfg.token or None,
                    verify=cfg.cacert or True,
                    timeout=cfg.timeout,
                    namespace=cfg.namespace or None,
                )
                if cfg.auth_method == "approle":
                    try:
                        client.auth.approle.login(cfg.role_id, cfg.secret_id, mount_point=cfg.approle_mount)
                    except hvac_errors.VaultError as exc:
                        raise KeyBackendUnavailable(
                            f"{self.describe()}: AppRole login at auth mount {cfg.approle_mount!r} failed "
                            f"({type(exc).__name__}). Check VAULT_ROLE_ID, VAULT_SECRET_ID (not expired) and "
                            "VAULT_APPROLE_MOUNT."
                        ) from None
                self._client = client
            return self._client

    @contextlib.contextmanager
    def _errors(self, action: str, tenant_id: uuid.UUID | None = None) -> Iterator[None]:
        """Translate hvac/requests failures; the original exception is not chained (its request
        context is not ours to show) but its class is named."""
        where = self.describe()
        try:
            yield
        except KeyringError:
            raise
        except requests.exceptions.SSLError:
            raise KeyBackendUnavailable(
                f"{where}: TLS verification failed while {action}. Check VAULT_CACERT (the CA that signed the "
                "server's certificate) and that VAULT_ADDR uses the certificate's host name."
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise KeyBackendUnavailable(
                f"{where} is unreachable while {action} ({type(exc).__name__}). Check VAULT_ADDR, that the server "
                "is running and unsealed, and the network between us."
            ) from None
        except (hvac_errors.Unauthorized, hvac_errors.Forbidden):
            raise KeyBackendUnavailable(
                f"{where} refused our credentials while {action} (permission denied). Check VAULT_TOKEN, or "
                f"VAULT_ROLE_ID/VAULT_SECRET_ID, and that the policy covers {self.config.mount}/*/{KEY_PREFIX}*."
            ) from None
        except hvac_errors.InvalidPath:
            if tenant_id is not None:
                raise TenantKeyMissing(self._missing(tenant_id)) from None
            raise KeyBackendUnavailable(
                f"{where}: path not found while {action}. Check VAULT_TRANSIT_MOUNT and that the transit engine "
                "is enabled there."
            ) from None
        except hvac_errors.InvalidRequest as exc:
            reason = str(exc.args[0] if exc.args else "")
            if "key not found" in reason and tenant_id is not None:
                raise TenantKeyMissing(self._missing(tenant_id)) from None
            if "no handler for route" in reason:
                raise KeyBackendUnavailable(
                    f"{where}: no transit engine at mount {self.config.mount!r}. Check VAULT_TRANSIT_MOUNT."
                ) from None
            if "cipher" in reason or "authentication failed" in reason:
                raise SecretDecryptionError(
                    f"{where} rejected {action}: {reason}. The wrapped data key was copied from another tenant's "
                    "row, or altered."
                ) from None
            raise KeyringError(f"{where} rejected {action}: {reason}.") from None
        except hvac_errors.VaultError as exc:  # sealed (503), 5xx, rate limit, …
            raise KeyBackendUnavailable(
                f"{where} failed while {action} ({type(exc).__name__}). Check that the server is unsealed and "
                "healthy (`bao status`)."
            ) from None

    def _missing(self, tenant_id: uuid.UUID) -> str:
        return (
            f"Tenant {tenant_id} has no transit key {key_name(tenant_id)!r} in {self.describe()}: it was destroyed "
            "(tenant deleted) or never created. Secrets wrapped by it cannot be recovered."
        )
