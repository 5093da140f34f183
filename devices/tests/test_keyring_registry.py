"""Rotation finds stored secrets through the registry: EncryptedSecretField or explicit registration."""

import pytest
from django.apps.registry import Apps
from django.db import models

from devices.keyring import EncryptedSecretField, decrypt_secret, encrypt_secret, rotate_tenant_key
from devices.keyring.registry import register_secret_field, secret_holders, unregister_secret_field
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db


def test_encrypted_secret_fields_are_discovered():
    isolated = Apps(["devices"])

    class AlertChannel(models.Model):
        token = EncryptedSecretField(null=True)
        name = models.JSONField()

        class Meta:
            app_label = "devices"
            apps = isolated

        def __str__(self) -> str:
            return "channel"

    holders = secret_holders(isolated)
    assert [(h.model, h.field, h.tenant_field) for h in holders if h.model is AlertChannel] == [
        (AlertChannel, "token", "tenant")
    ]


def test_explicitly_registered_json_fields_are_rewrapped(tenants, backend, credentials):
    """A model the discovery does not see (here: outside the app registry) counts once registered."""
    row = credentials.store(tenants.acme, "pw")
    unregister_secret_field(credentials.model, "password")
    try:
        assert rotate_tenant_key(tenants.acme.id).rewrapped == 0  # not registered: not found
    finally:
        register_secret_field(credentials.model, "password", tenant_field="tenant_id")
    report = rotate_tenant_key(tenants.acme.id)
    assert report.rewrapped == 1
    assert "devices.ProbeCredential.password" in report.holders
    stored = credentials.reload(row).password
    assert stored.key_version == 3
    assert decrypt_secret(tenants.acme.id, "device-password", row.pk, stored).reveal() == "pw"


def test_a_broken_value_is_reported_and_the_rest_rewrapped(tenants, backend, credentials):
    good = credentials.store(tenants.acme, "pw")
    bad = credentials.store(tenants.acme, "pw2")
    with tenant_context(tenants.acme.id):
        credentials.model.objects.filter(pk=bad.pk).update(password={"not": "an envelope"})
    report = rotate_tenant_key(tenants.acme.id)
    assert report.rewrapped == 1
    assert report.failed == [f"devices.ProbeCredential.password pk={bad.pk}: SecretDecryptionError"]
    assert decrypt_secret(tenants.acme.id, "device-password", good.pk, credentials.reload(good).password)


def test_a_secret_from_another_tenant_is_reported_not_rewrapped(tenants, backend, credentials):
    row = credentials.store(tenants.acme, "pw")
    foreign = encrypt_secret(tenants.globex.id, "device-password", row.pk, "stolen")
    with tenant_context(tenants.acme.id):
        credentials.model.objects.filter(pk=row.pk).update(password=foreign)
    report = rotate_tenant_key(tenants.acme.id)
    assert report.rewrapped == 0
    assert len(report.failed) == 1
