"""`manage.py check` tells a misconfigured key backend before the first secret is needed."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error
from django.core.checks import Warning as CheckWarning


def key_backend_settings(app_configs, **kwargs) -> list:
    if getattr(settings, "MIKMAN_KEY_BACKEND", "local") != "vault":
        return []
    problems: list = []
    addr = getattr(settings, "VAULT_ADDR", "")
    if not addr:
        problems.append(Error("MIKMAN_KEY_BACKEND=vault needs VAULT_ADDR.", id="devices.E001"))
    token = getattr(settings, "VAULT_TOKEN", "")
    approle = getattr(settings, "VAULT_ROLE_ID", "") and getattr(settings, "VAULT_SECRET_ID", "")
    if not token and not approle:
        problems.append(
            Error(
                "MIKMAN_KEY_BACKEND=vault needs credentials.",
                hint="Set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole).",
                id="devices.E002",
            )
        )
    cacert = getattr(settings, "VAULT_CACERT", "")
    if cacert:
        from pathlib import Path

        if not Path(cacert).is_file():
            problems.append(Error(f"VAULT_CACERT={cacert!r} is not a readable file.", id="devices.E003"))
    if addr.startswith("http://") and not any(h in addr for h in ("//127.", "//localhost", "//[::1]")):
        problems.append(
            CheckWarning(
                "VAULT_ADDR uses plain http to a remote host: data keys would cross the network unencrypted.",
                hint="Use https:// and VAULT_CACERT.",
                id="devices.W001",
            )
        )
    return problems
