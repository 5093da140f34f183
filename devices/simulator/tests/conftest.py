"""Shared fixtures: a small fleet served over real loopback sockets in a background thread."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator
from typing import Any

import librouteros
import pytest

from devices.simulator.testing import running_fleet


def api_connect(
    info: dict[str, Any],
    index: int,
    *,
    tls: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 5.0,
) -> librouteros.api.Api:
    """librouteros connection to device `index`, plain or TLS with the fleet CA pinned."""
    dev = info["fleet"].describe([index])[0]
    creds = info["credentials"]
    kwargs: dict[str, Any] = {"timeout": timeout}
    if tls:
        ctx = ssl.create_default_context(cafile=info["ca_pem_path"])
        kwargs["ssl_wrapper"] = functools.partial(ctx.wrap_socket, server_hostname=dev["address"])
        kwargs["port"] = dev["ports"]["api-ssl"]
    else:
        kwargs["port"] = dev["ports"]["api"]
    return librouteros.connect(
        dev["address"], user or creds["username"], creds["password"] if password is None else password, **kwargs
    )


@pytest.fixture(scope="module")
def fleet_info() -> Iterator[dict[str, Any]]:
    """Twelve devices, seed 7, API + API-SSL only, fast reboots."""
    with running_fleet(count=12, seed=7, protocols=("api", "api-ssl"), reboot_seconds=0.5) as info:
        yield info
