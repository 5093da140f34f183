"""Pushes other apps start: named verbs over the "push" job kind (rollback timer, audit, job
progress — all of it the kind's), for a script that must carry a secret.

Jobs store their parameters and pushes refuse scripts with secrets, so such a script is stored
with the secret masked (`secret=********`) plus a *signed* list of references, one per mask; the
worker asks the app that owns each secret for its plaintext (`register_secret_source`) only while
it builds the device's work, and the plaintext lives in that thread's memory only. The signature
(bound to the script's sha256) means a user cannot attach references to a script of their own
through the jobs API and read another app's secret back from a router.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core import signing
from django.core.exceptions import ValidationError

from audit.redaction import MASK

SIGNING_SALT = "devices.push.secret-refs"
# source name → resolve(ref) -> plaintext, called in the job's tenant context
SECRET_SOURCES: dict[str, Callable[[str], str]] = {}


def register_secret_source(name: str, resolve: Callable[[str], str]) -> None:
    """`resolve(ref)` returns the plaintext (or raises ValidationError saying why it cannot)."""
    SECRET_SOURCES[name] = resolve


def _params(script: str, secrets: list[tuple[str, str]], rollback_s: int | None) -> dict:
    from devices.push.script import sha256

    if script.count(MASK) != len(secrets):
        raise ValueError("one secret reference per masked value in the script")
    params: dict = {"script": script}
    if rollback_s is not None:
        params["rollback_s"] = rollback_s
    if secrets:
        refs = [{"source": source, "ref": str(ref)} for source, ref in secrets]
        params["secret_refs"] = signing.dumps({"sha256": sha256(script), "refs": refs}, salt=SIGNING_SALT)
    return params


def preview_device_push(access, device, script: str, *, secrets: list[tuple[str, str]] = (), rollback_s=None):
    """The push preview (devices/push/preview.py) of `script` for one device; secrets stay masked."""
    from devices.push.preview import preview_push

    return preview_push(access, params=_params(script, list(secrets), rollback_s), devices=[str(device.pk)])


def push_to_device(
    access, device, script: str, *, secrets: list[tuple[str, str]] = (), rollback_s=None, confirm: bool = False
):
    """Start a push job of `script` to `device` (same rules as any push: admins, the device in the
    user's scope, rollback timer); each MASK in the script is replaced in the worker by the
    secret `secrets[i]` = (source, ref) names. Returns the Job."""
    from devices.jobs import runner

    params = _params(script, list(secrets), rollback_s)
    return runner.start_job(access, "push", devices=[str(device.pk)], params=params, confirm=confirm)


def checked_secret_refs(value, script: str) -> str:
    """The signed references as stored, after checking them (ValidationError otherwise)."""
    from devices.push.script import sha256

    try:
        data = signing.loads(str(value), salt=SIGNING_SALT)
    except signing.BadSignature:
        raise ValidationError({"secret_refs": "Secret references are added by the platform only."}) from None
    refs = data.get("refs") if isinstance(data, dict) else None
    if not isinstance(refs, list) or data.get("sha256") != sha256(script) or len(refs) != script.count(MASK):
        raise ValidationError({"secret_refs": "The secret references do not belong to this script."})
    return str(value)


def reveal_secrets(signed: str, script: str) -> str:
    """The script with each MASK replaced by its secret (in the caller's tenant context)."""
    refs = signing.loads(signed, salt=SIGNING_SALT)["refs"]
    parts = script.split(MASK)
    out = [parts[0]]
    for ref, rest in zip(refs, parts[1:], strict=True):
        resolve = SECRET_SOURCES.get(ref["source"])
        if resolve is None:
            raise ValidationError(f"Unknown secret source {ref['source']!r}.")
        out += [resolve(ref["ref"]), rest]
    return "".join(out)
