"""`EncryptedSecretField`: the model field that holds an EncryptedSecret.

Declaring one is all a model needs for key rotation to find its values (devices.keyring.registry
discovers every such field). It stores the envelope as JSON and hands back an EncryptedSecret.
"""

from __future__ import annotations

from django.db import models

from .envelope import EncryptedSecret
from .errors import SecretDecryptionError


class EncryptedSecretField(models.JSONField):
    description = "An envelope-encrypted secret (devices.keyring.EncryptedSecret)"

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        return self._as_secret(value)

    def to_python(self, value):
        return self._as_secret(super().to_python(value))

    def get_prep_value(self, value):
        if isinstance(value, EncryptedSecret):
            value = value.as_dict()
        return super().get_prep_value(value)

    @staticmethod
    def _as_secret(value):
        if value is None or isinstance(value, EncryptedSecret):
            return value
        try:
            return EncryptedSecret.coerce(value)
        except SecretDecryptionError:
            return value  # a malformed row still loads; decrypt_secret reports it
