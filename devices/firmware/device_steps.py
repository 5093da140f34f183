"""The router-side steps of an upgrade, each over a fresh API connection (the push app's
`device_ops` connection handling: `Unreachable` when the device cannot be reached or logged in
to, `RouterOSRefused` when it answered with an error)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from devices.protocols.routeros_api import ConnectionClosed
from devices.push.device_ops import ApiEndpoint, RouterOSRefused, Unreachable, run_on_device

UPDATE = "/system/package/update"


@dataclass(slots=True)
class UpdateState:
    channel: str
    installed: str
    latest: str
    status: str


def _version(text: str) -> str:
    return (text or "").split(" ")[0]  # "/system/resource version": "7.16.2 (stable)"


def check_for_updates(target: ApiEndpoint) -> UpdateState:
    """Ask the device to check its channel; what it says (latest may be "" when it could not tell)."""

    async def work(api):
        await api.call(f"{UPDATE}/check-for-updates")
        row = (await api.call(f"{UPDATE}/print"))[0]
        return UpdateState(
            row.get("channel", ""),
            _version(row.get("installed-version", "")),
            _version(row.get("latest-version", "")),
            row.get("status", ""),
        )

    return run_on_device(target, work)


def set_channel(target: ApiEndpoint, channel: str) -> None:
    async def work(api):
        await api.call(f"{UPDATE}/set", channel=channel)

    run_on_device(target, work)


def install(target: ApiEndpoint) -> None:
    """Download and install; the device reboots (a dropped connection is expected)."""

    async def work(api):
        await api.call(f"{UPDATE}/download")
        try:
            await api.call(f"{UPDATE}/install")
        except (ConnectionClosed, OSError, RuntimeError, TimeoutError):
            pass

    run_on_device(target, work)


def reboot(target: ApiEndpoint) -> None:
    async def work(api):
        try:
            await api.call("/system/reboot")
        except (ConnectionClosed, OSError, RuntimeError, TimeoutError):
            pass

    run_on_device(target, work)


@dataclass(slots=True)
class Health:
    version: str
    uptime: str
    firmware: str
    upgrade_firmware: str


def health(target: ApiEndpoint) -> Health:
    """Login + resource read (the health check) + the RouterBOARD's firmware versions."""

    async def work(api):
        resource = (await api.call("/system/resource/print"))[0]
        board = await api.call("/system/routerboard/print")
        board = board[0] if board else {}
        return Health(
            _version(resource.get("version", "")),
            resource.get("uptime", ""),
            board.get("current-firmware", ""),
            board.get("upgrade-firmware", ""),
        )

    return run_on_device(target, work)


def upgrade_routerboard(target: ApiEndpoint) -> None:
    async def work(api):
        await api.call("/system/routerboard/upgrade")

    run_on_device(target, work)


def wait_back(
    target: ApiEndpoint, timeout_s: float, *, gone_within_s: float = 15.0, poll_s: float = 0.5
) -> tuple[bool, Health | None, str]:
    """After a reboot was triggered: wait for the device to go away, then to answer a login and
    a read again. Returns (seen_gone, health, last error); health is None when it was not back
    within `timeout_s`; seen_gone False when it kept answering for `gone_within_s` (no reboot)."""
    start = time.monotonic()
    seen_gone, last = False, ""
    while time.monotonic() - start < timeout_s:
        try:
            state = health(target)
        except (Unreachable, RouterOSRefused) as exc:
            seen_gone, last = True, str(exc)
        else:
            if seen_gone or time.monotonic() - start >= gone_within_s:
                return seen_gone, state, ""
        time.sleep(poll_s)
    return seen_gone, None, last or "no answer"
