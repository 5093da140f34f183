"""Where a tenant's EncryptedSecret values live, so rotation can rewrap every one of them.

Two ways in: declare the column as `EncryptedSecretField` (found automatically), or call
`register_secret_field(Model, "field")` for a plain JSONField holding `EncryptedSecret.as_dict()`.
The holder's rows are read inside the tenant's context and filtered by its tenant column.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.apps import apps
from django.apps.registry import Apps
from django.db import models

from .fields import EncryptedSecretField

_lock = threading.Lock()
_registered: dict[tuple[str, str], tuple[type[models.Model] | str, str, str]] = {}


@dataclass(frozen=True)
class SecretHolder:
    model: type[models.Model]
    field: str
    tenant_field: str = "tenant"

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


def register_secret_field(model: type[models.Model] | str, field: str, tenant_field: str = "tenant") -> None:
    """Declare that `model.field` (a model class or "app_label.Model") holds EncryptedSecret
    values (or their `as_dict()`) of the tenant in `tenant_field`."""
    label = model if isinstance(model, str) else model._meta.label
    with _lock:
        _registered[(label, field)] = (model, field, tenant_field)


def unregister_secret_field(model: type[models.Model] | str, field: str) -> None:
    label = model if isinstance(model, str) else model._meta.label
    with _lock:
        _registered.pop((label, field), None)


def secret_holders(app_registry: Apps | None = None) -> list[SecretHolder]:
    """Every (model, field) that may hold a tenant's EncryptedSecret, in a stable order: each
    EncryptedSecretField of the installed models, then the explicit registrations."""
    found: dict[tuple[str, str], SecretHolder] = {}
    for model in (app_registry or apps).get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedSecretField):
                found[(model._meta.label, field.name)] = SecretHolder(model, field.name)
    with _lock:
        registered = dict(_registered)
    for key, (model, field, tenant_field) in registered.items():
        model_class = apps.get_model(model) if isinstance(model, str) else model
        found[key] = SecretHolder(model_class, field, tenant_field)
    return [found[key] for key in sorted(found)]
