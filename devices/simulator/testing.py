"""Helpers for synchronous tests: run a fleet in a background thread with its own loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from .fleet import Fleet


@contextlib.contextmanager
def running_fleet(
    protocols: Iterable[str] = ("api", "api-ssl", "ssh", "rest", "snmp"), use_uvloop: bool = False, **kwargs: Any
) -> Iterator[dict[str, Any]]:
    """`with running_fleet(count=3, seed=1, ports={"api": 0}) as info:` -> fleet info dict.

    Ports default to 0 (free ports) so tests never collide; `info["fleet"]` is the Fleet.
    `use_uvloop` runs the fleet on uvloop, as `python -m devices.simulator` does.
    """
    kwargs.setdefault("ports", {})
    for proto in ("api", "api-ssl", "ssh", "rest", "snmp"):
        kwargs["ports"].setdefault(proto, 0)
    kwargs.setdefault("count", 3)
    fleet = Fleet(**kwargs)
    if use_uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Event | None = None
    box: dict[str, Any] = {}

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        try:
            async with fleet.serve(protocols) as info:
                box["info"] = info
                ready.set()
                await stop.wait()
        except BaseException as exc:  # noqa: BLE001 - report startup failures to the caller
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True, name="sim-fleet")
    thread.start()
    ready.wait(30)
    if "error" in box:
        raise box["error"]
    try:
        yield box["info"]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
        fleet.close()


def fleet_fixture(scope: str = "module", **kwargs: Any) -> Any:
    """A pytest fixture serving a fleet: `sim = fleet_fixture(count=5, protocols=("api",))`.

    The fixture value is the info dict of `running_fleet` (devices, ports, credentials, CA path,
    control URL, and the Fleet itself under "fleet").
    """
    import pytest

    @pytest.fixture(scope=scope)
    def _fleet() -> Iterator[dict[str, Any]]:
        with running_fleet(**kwargs) as info:
            yield info

    return _fleet
