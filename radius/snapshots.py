"""JSON snapshots of User Manager objects for the history (and back), without secrets.

A snapshot holds every concrete field except the key, the tenant, the secrets and the automatic
timestamps; a user's also lists its profile queue. `restore()` is the exact inverse, so undo and
redo bring an object back as it was.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from django.utils.duration import duration_string

from devices.keyring import EncryptedSecretField

SKIPPED = {"id", "tenant", "created", "updated"}
COMPARE_IGNORES = {"profiles"}  # a queue change is not a change of the user for undo's purposes


def _json(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _fields(model):
    for field in model._meta.concrete_fields:
        if field.name in SKIPPED or isinstance(field, EncryptedSecretField):
            continue
        yield field


def secret_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedSecretField)]


def snapshot(obj) -> dict:
    data = {field.attname: _json(field.value_from_object(obj)) for field in _fields(type(obj))}
    for name in secret_fields(type(obj)):
        data[f"{name}_set"] = getattr(obj, name) is not None
    if hasattr(obj, "user_profiles") and obj.pk is not None:
        data["profiles"] = [
            {
                "profile_id": str(up.profile_id),
                "position": up.position,
                "state": up.state,
                "assigned_at": _json(up.assigned_at),
                "started_at": _json(up.started_at),
                "ends_at": _json(up.ends_at),
            }
            for up in obj.user_profiles.order_by("position", "assigned_at")
        ]
    return data


def comparable(snap: dict | None) -> dict | None:
    if snap is None:
        return None
    return {k: v for k, v in snap.items() if k not in COMPARE_IGNORES}


def apply(obj, snap: dict) -> None:
    """Set `obj`'s plain fields from `snap` (secrets and the queue are the caller's business)."""
    for field in _fields(type(obj)):
        if field.attname in snap:
            setattr(obj, field.attname, field.to_python(snap[field.attname]))
