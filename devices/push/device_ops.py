"""The router-side steps of a safe apply, each over a fresh API connection (which is itself the
"can the platform still reach and log in?" check).

The rollback timer is RouterOS' own machinery, so it works when the platform cannot reach the
device any more:

    /system backup save name=mikman-rollback-<id> dont-encrypt=yes          (the pre-push state)
    /system scheduler add name=mikman-rollback-<id> start-date=<d> start-time=<t> interval=0s \
        on-event="/system backup load name=mikman-rollback-<id>.backup"

The binary backup holds everything (users, secrets, certificates), unlike an export; it is
saved *before* the scheduler entry exists, so loading it removes the entry too. Start date and
time come from the device's own clock (`/system clock`), in the date format it uses (v6
`nov/23/2026`, v7.10+ `2026-11-23`), so a router whose clock differs from ours still waits T.

Everything here raises `Unreachable` (with a reason) when the device cannot be reached or
logged in to, and `RouterOSRefused` when the device answered with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from devices.protocols.routeros_api import ConnectionClosed, FatalError, TrapError, open_api

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
CONNECT_TIMEOUT_S = 8.0
CALL_TIMEOUT_S = 20.0


class Unreachable(Exception):
    """The device could not be reached or logged in to (the message says how it failed)."""


class RouterOSRefused(Exception):
    """The device answered with an error."""


@dataclass(slots=True)
class ApiEndpoint:
    host: str
    endpoints: list[tuple[int, ssl.SSLContext | None]]
    username: str
    password: object  # devices.keyring.Secret


def backup_file(name: str) -> str:
    return f"{name}.backup"


def parse_clock(row: dict[str, str]) -> tuple[datetime, str]:
    """The device's clock as an aware UTC-ish datetime (device local time, taken as is) and the
    date style it uses ("iso" or "mon")."""
    date, time_text = row.get("date", ""), row.get("time", "")
    hh, mm, ss = (int(x) for x in (time_text.split(":") + ["0", "0"])[:3])
    if "/" in date:
        mon, day, year = date.split("/")
        day_value = datetime(int(year), MONTHS.index(mon[:3].lower()) + 1, int(day), hh, mm, ss, tzinfo=UTC)
        return day_value, "mon"
    year, month, day = (int(x) for x in date.split("-"))
    return datetime(year, month, day, hh, mm, ss, tzinfo=UTC), "iso"


def format_start(when: datetime, style: str) -> tuple[str, str]:
    if style == "mon":
        date = f"{MONTHS[when.month - 1]}/{when.day:02d}/{when.year}"
    else:
        date = when.strftime("%Y-%m-%d")
    return date, when.strftime("%H:%M:%S")


async def _connect(target: ApiEndpoint):
    last: BaseException | None = None
    for port, ssl_context in target.endpoints:
        try:
            return await open_api(
                target.host,
                port,
                target.username,
                target.password.reveal(),
                ssl_context=ssl_context,
                timeout=CONNECT_TIMEOUT_S,
            )
        except TrapError as exc:
            raise Unreachable(f"login rejected: {exc.message}") from None
        except (TimeoutError, OSError, ConnectionClosed, FatalError, ssl.SSLError, RuntimeError) as exc:
            last = exc
    raise Unreachable(_describe(last))


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | RuntimeError):
        return "connection reset"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or type(exc).__name__}"
    return (str(exc) or type(exc).__name__)[:200] if exc is not None else "no API endpoint"


def run_on_device(target: ApiEndpoint, work, *, timeout: float = CALL_TIMEOUT_S):
    """Open a connection, run `await work(api)`, close; device faults become our exceptions."""

    async def main():
        api = None
        try:
            async with asyncio.timeout(timeout):
                api = await _connect(target)
                return await work(api)
        except TrapError as exc:
            raise RouterOSRefused(exc.message or "command failed") from None
        except TimeoutError:
            raise Unreachable(f"no answer within {timeout:g} s") from None
        except (OSError, ConnectionClosed, FatalError, ssl.SSLError, RuntimeError) as exc:
            raise Unreachable(_describe(exc)) from None
        finally:
            if api is not None:
                with contextlib.suppress(Exception):
                    await api.close()

    return asyncio.run(main())


async def _find(api, path: str, name: str) -> list[dict[str, str]]:
    return [row for row in await api.call(f"{path}/print") if row.get("name") == name]


def timer_line(name: str, date: str, time_text: str) -> str:
    """The CLI form of the rollback timer (a restore file re-creates it after its reset)."""
    return (
        f"/system scheduler add name={name} start-date={date} start-time={time_text} interval=0s "
        f'on-event="/system backup load name={backup_file(name)}"'
    )


def arm(target: ApiEndpoint, name: str, seconds: int) -> tuple[datetime, str, str]:
    """Save the pre-push binary backup and install the timer that loads it after `seconds`.
    Returns the device-clock time it fires at, and its start-date / start-time as set."""

    async def work(api):
        await api.call("/system/backup/save", name=name, **{"dont-encrypt": "yes"})
        clock = (await api.call("/system/clock/print"))[0]
        now, style = parse_clock(clock)
        due = now + timedelta(seconds=seconds)
        date, time_text = format_start(due, style)
        for row in await _find(api, "/system/scheduler", name):  # a leftover of a crashed attempt
            await api.call("/system/scheduler/remove", **{".id": row[".id"]})
        await api.call(
            "/system/scheduler/add",
            name=name,
            **{
                "start-date": date,
                "start-time": time_text,
                "interval": "0s",
                "on-event": f"/system backup load name={backup_file(name)}",
                "comment": "mikman: restores the pre-push configuration unless the push is confirmed",
            },
        )
        return due, date, time_text

    return run_on_device(target, work)


def restore_config(target: ApiEndpoint, file_name: str, text: str) -> None:
    """Upload `text` as a script file and reset to it: `/system reset-configuration
    no-defaults=yes keep-users=yes run-after-reset=<file>` (the device reboots; a dropped
    connection is expected)."""

    async def work(api):
        for row in await _find(api, "/file", file_name):
            await api.call("/file/remove", **{".id": row[".id"]})
        await api.call("/file/add", name=file_name, contents=text)
        try:
            await api.call(
                "/system/reset-configuration",
                **{"no-defaults": "yes", "keep-users": "yes", "run-after-reset": file_name},
            )
        except (ConnectionClosed, OSError, RuntimeError, TimeoutError):
            pass

    run_on_device(target, work)


def remove_file(target: ApiEndpoint, file_name: str) -> None:
    async def work(api):
        for row in await _find(api, "/file", file_name):
            with contextlib.suppress(TrapError):
                await api.call("/file/remove", **{".id": row[".id"]})

    run_on_device(target, work)


def timer_present(target: ApiEndpoint, name: str) -> bool:
    async def work(api):
        return bool(await _find(api, "/system/scheduler", name))

    return run_on_device(target, work)


def disarm(target: ApiEndpoint, name: str) -> bool:
    """Remove the timer (and its backup file). True when the timer was still there — False means
    it had already fired (or was never installed)."""

    async def work(api):
        rows = await _find(api, "/system/scheduler", name)
        for row in rows:
            await api.call("/system/scheduler/remove", **{".id": row[".id"]})
        await _remove_file(api, name)
        return bool(rows)

    return run_on_device(target, work)


def remove_leftovers(target: ApiEndpoint, name: str) -> None:
    """The backup file after the device restored itself (the timer is gone with the restore)."""

    async def work(api):
        for row in await _find(api, "/system/scheduler", name):
            await api.call("/system/scheduler/remove", **{".id": row[".id"]})
        await _remove_file(api, name)

    run_on_device(target, work)


async def _remove_file(api, name: str) -> None:
    for row in await _find(api, "/file", backup_file(name)):
        with contextlib.suppress(TrapError):
            await api.call("/file/remove", **{".id": row[".id"]})


def verify(target: ApiEndpoint, ping_targets: list[str]) -> str:
    """A fresh login, a read, and the optional pings from the device. Returns "" when all is
    well, else why the health check failed (Unreachable when the login itself fails)."""

    async def work(api):
        await api.call("/system/resource/print")
        for address in ping_targets:
            rows = await api.call("/ping", address=address, count="3")
            summary = rows[-1] if rows else {}
            received = summary.get("received", "0")
            if not received.isdigit() or int(received) == 0:
                return f"health check: no answer to ping {address} from the device"
        return ""

    return run_on_device(target, work)


def restore_now(target: ApiEndpoint, name: str) -> None:
    """Load the pre-push backup at once (the device reboots: a dropped connection is expected)."""

    async def work(api):
        try:
            await api.call("/system/backup/load", name=backup_file(name))
        except (ConnectionClosed, OSError, RuntimeError, TimeoutError):
            pass

    try:
        run_on_device(target, work, timeout=CALL_TIMEOUT_S)
    except Unreachable:
        pass  # the reboot cut the reply short
