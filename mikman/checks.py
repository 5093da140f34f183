"""Settings validated at start (`manage.py check`, and every command): one clear message each."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register


@register()
def platform_settings(app_configs, **kwargs) -> list[Error]:
    errors: list[Error] = []
    try:
        key = base64.b64decode(settings.MIKMAN_MASTER_KEY, validate=True)
        if len(key) != 32:
            raise ValueError
    except (binascii.Error, ValueError):
        errors.append(
            Error(
                "MIKMAN_MASTER_KEY must be 32 random bytes, base64-encoded.",
                hint="Generate one with: python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'",
                id="mikman.E001",
            )
        )
    scheme = urlsplit(settings.REDIS_URL).scheme
    if scheme not in ("redis", "rediss", "unix"):
        errors.append(
            Error(f"REDIS_URL has scheme {scheme!r}.", hint="Use redis://host:6379/0 or rediss://…", id="mikman.E002")
        )
    if len(settings.SECRET_KEY) < 32:
        errors.append(Error("SECRET_KEY is too short (< 32 characters).", id="mikman.E003"))
    if not settings.DEBUG and not settings.ALLOWED_HOSTS:
        errors.append(Error("ALLOWED_HOSTS is empty.", hint="Set ALLOWED_HOSTS=mikman.example.com", id="mikman.E004"))
    for cidr in getattr(settings, "METRICS_ALLOWED_NETWORKS", []):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"METRICS_ALLOWED_NETWORKS: {cidr!r} is not a network.",
                    hint="Comma-separated CIDRs, e.g. 10.0.0.0/8,fd00::/8",
                    id="mikman.E005",
                )
            )
    return errors
