"""Per-tenant credential encryption — the only API other apps use for secrets at rest.

    from devices.keyring import EncryptedSecretField, decrypt_secret, encrypt_secret

    class DeviceCredential(TenantScopedModel):
        password = EncryptedSecretField()          # rotation finds it automatically

    cred.password = encrypt_secret(tenant.id, "device-password", cred.pk, "s3cret")
    secret = decrypt_secret(tenant.id, "device-password", cred.pk, cred.password)
    login(user, secret.reveal())                   # reveal only at the point of use

Design (details in the submodules): envelope encryption, a fresh AES-256-GCM data key per secret
(envelope.py says why), wrapped by the tenant's own key in OpenBao/Vault Transit
(backends/vault.py) or in the embedded keyring (backends/local.py, the default); associated data
binds each ciphertext to tenant, purpose and record. Tenant creation/deletion create/destroy the
key through signals (signals.py); `manage.py rotate_tenant_key --tenant SLUG` or the Celery task
`devices.rotate_tenant_key` rotates it and rewraps every stored value (registry.py).
"""

from .envelope import EncryptedSecret
from .errors import (
    KeyBackendUnavailable,
    KeyringError,
    SecretDecryptionError,
    TenantContextMismatch,
    TenantKeyMissing,
)
from .fields import EncryptedSecretField
from .registry import register_secret_field, unregister_secret_field
from .secret import Secret
from .services import (
    RotationReport,
    create_tenant_key,
    decrypt_secret,
    destroy_tenant_key,
    encrypt_secret,
    rotate_tenant_key,
)

__all__ = [
    "EncryptedSecret",
    "EncryptedSecretField",
    "KeyBackendUnavailable",
    "KeyringError",
    "RotationReport",
    "Secret",
    "SecretDecryptionError",
    "TenantContextMismatch",
    "TenantKeyMissing",
    "create_tenant_key",
    "decrypt_secret",
    "destroy_tenant_key",
    "encrypt_secret",
    "register_secret_field",
    "rotate_tenant_key",
    "unregister_secret_field",
]
