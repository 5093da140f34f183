"""The fleet: many `SimDevice`s, their loopback addresses, shared sockets and background work.

Addressing (the chosen design): device i listens on its own loopback address
127.A.B.C (254 devices per /24, host parts .0 and .255 skipped, starting at 127.1.0.1), and
ONE socket per protocol, bound to 0.0.0.0:PORT with SO_BINDTODEVICE=lo, serves every device;
a connection's destination address (`getsockname()`) tells which device it is for.  If
SO_BINDTODEVICE is not permitted, the fleet falls back to 127.0.0.1 with a block of ports per
protocol (base port + index) and one socket per device.

Frontends resolve devices with `fleet.device_for_sockname(sock.getsockname())`, which works in
both modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from .clock import SimClock
from .device import DeviceContext, SimDevice
from .faults import Fault, assign_faults, parse_fault
from .hardware import derive_hardware
from .latency import Latency
from .scheduler import Scheduler

DEFAULT_PORTS = {"api": 8728, "api-ssl": 8729, "ssh": 22, "rest": 443, "snmp": 161}
SOCK_TYPES = {"snmp": socket.SOCK_DGRAM}
BLOCK = 254  # devices per 127.A.B.0/24

# Frontend registry: protocol -> "module:function"; `serve()` starts those that import.
# Each exposes `async def serve(fleet, sock) -> closer` (closer: sync or async callable).
PROTOCOL_SERVERS: dict[str, str] = {
    "api": "devices.simulator.api_server:serve_plain",
    "api-ssl": "devices.simulator.api_server:serve_tls",
    "ssh": "devices.simulator.ssh_server:serve",
    "rest": "devices.simulator.rest_server:serve",
    "snmp": "devices.simulator.snmp_agent:serve",
}


@dataclass(frozen=True)
class Credentials:
    """Logins that work on every device: a full admin and a read-only user."""

    username: str
    password: str
    read_username: str
    read_password: str

    def as_dict(self) -> dict[str, str]:
        return {
            "username": self.username,
            "password": self.password,
            "read_username": self.read_username,
            "read_password": self.read_password,
        }


def address_of(index: int, base: str = "127.1.0.0") -> str:
    block, host = divmod(index, BLOCK)
    value = (_ip_int(base) or 0) + block * 256 + host + 1
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def _ip_int(address: str) -> int | None:
    parts = address.split(".")
    if len(parts) != 4:
        return None
    try:
        a, b, c, d = (int(p) for p in parts)
    except ValueError:
        return None
    return (a << 24) | (b << 16) | (c << 8) | d


def index_of(address: str, base: str = "127.1.0.0") -> int | None:
    """Device index for a loopback address (None for .0/.255 host parts or foreign addresses)."""
    value, origin = _ip_int(address), _ip_int(base)
    if value is None or origin is None:
        return None
    offset = value - origin
    block, host = divmod(offset, 256)
    if offset < 0 or not 1 <= host <= BLOCK:
        return None
    return block * BLOCK + host - 1


class Fleet:
    """A simulated fleet of `count` RouterOS devices, deterministic from `seed`."""

    def __init__(
        self,
        count: int,
        seed: int = 1,
        faults: str | None = None,
        state_dir: str | None = None,
        ports: dict[str, int] | None = None,
        latency: Latency | str | float | None = None,
        clock_speed: float = 1.0,
        reboot_seconds: float = 2.0,
        admin_user: str = "admin",
        admin_password: str = "sim-admin",  # noqa: S107 - simulator default
        read_user: str = "monitor",
        read_password: str = "sim-monitor",  # noqa: S107 - simulator default
        latest_version: str | None = None,
        mode: str = "auto",
        base_address: str = "127.1.0.0",
        control_port: int | None = 0,
        tick_seconds: float = 0.1,
        config_bulk: bool = False,
        radius_interim: float | None = None,
    ) -> None:
        self.count = count
        self.radius_interim = radius_interim  # seconds: overrides Acct-Interim-Interval (tests)
        self._nas: dict[int, Any] = {}
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop serve() runs on
        self.seed = seed
        self.state_dir = state_dir
        if state_dir:
            os.makedirs(state_dir, exist_ok=True)
        self.base_address = base_address
        self.ports = {**DEFAULT_PORTS, **(ports or {})}
        self.bound_ports: dict[str, int] = {}
        self.control_port = control_port
        self.control_url: str | None = None
        self.tick_seconds = tick_seconds
        self.scheduler = Scheduler()
        if isinstance(latency, (str, int, float)):
            latency = Latency.parse(latency)
        self.ctx = DeviceContext(
            seed=seed,
            clock=SimClock(clock_speed),
            admin_user=admin_user,
            admin_password=admin_password,
            monitor_user=read_user,
            monitor_password=read_password,
            reboot_seconds=reboot_seconds,
            latency=latency,
            state_dir=state_dir,
            on_change=self._on_change,
            config_bulk=config_bulk,
        )
        if latest_version:
            self.ctx.latest["stable"] = latest_version
        self.credentials = Credentials(admin_user, admin_password, read_user, read_password)
        self.mode = self._pick_mode(mode)
        self._devices: dict[int, SimDevice] = {}
        self._devices_lock = threading.Lock()  # frontends resolve devices from many threads
        self._dirty: set[SimDevice] = set()
        self._faults: dict[int, str] = assign_faults(faults, count, seed)
        self._tls = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        for index, text in self._faults.items():
            self.device(index).set_fault(text)

    # ---------------------------------------------------------------- devices
    @property
    def clock(self) -> SimClock:
        return self.ctx.clock

    def _pick_mode(self, mode: str) -> str:
        if mode != "auto":
            return mode
        probe = socket.socket()
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
            return "addresses"
        except (PermissionError, OSError):
            return "ports"
        finally:
            probe.close()

    def address(self, index: int) -> str:
        return address_of(index, self.base_address) if self.mode == "addresses" else "127.0.0.1"

    def device(self, index: int) -> SimDevice:
        """The device with this index (created on first use; its state is built lazily)."""
        dev = self._devices.get(index)
        if dev is None:
            if not 0 <= index < self.count:
                raise IndexError(index)
            with self._devices_lock:
                dev = self._devices.get(index)
                if dev is None:
                    dev = SimDevice(index, self.address(index), self.ctx, derive_hardware(self.seed, index))
                    if self.state_dir and os.path.exists(dev.state_path()):
                        _ = dev.state  # a saved device: load it now so describe() shows its identity/version
                    self._devices[index] = dev
        return dev

    def devices(self) -> Iterable[SimDevice]:
        return (self.device(i) for i in range(self.count))

    def device_for_address(self, addr: str) -> SimDevice | None:
        if self.mode != "addresses":
            return self.device(0) if self.count == 1 else None
        index = index_of(addr, self.base_address)
        if index is None or index >= self.count:
            return None
        return self.device(index)

    def device_for_sockname(self, sockname: tuple[Any, ...]) -> SimDevice | None:
        """Device for an accepted socket's local (address, port): works in both modes."""
        addr, port = sockname[0], sockname[1]
        if addr.startswith("::ffff:"):
            addr = addr[7:]
        if self.mode == "addresses":
            return self.device_for_address(addr)
        for base in self.bound_ports.values():
            if base <= port < base + self.count:
                return self.device(port - base)
        return None

    def port(self, proto: str, index: int = 0) -> int:
        base = self.bound_ports.get(proto, self.ports[proto])
        return base if self.mode == "addresses" else base + index

    # ---------------------------------------------------------------- RADIUS NAS (nas.py)
    def nas_address(self, index: int) -> str:
        """The device's own loopback address, its RADIUS source even in port mode."""
        return address_of(index, self.base_address)

    def nas(self, index: int) -> Any:
        """The device's RADIUS client side (`nas.DeviceNas`), created on first use."""
        nas = self._nas.get(index)
        if nas is None:
            from .nas import DeviceNas

            dev = self.device(index)
            nas = self._nas[index] = DeviceNas(dev, self.nas_address(index), self.radius_interim)
            nas.loop = self.loop
            dev.nas = nas
        return nas

    def _on_loop(self, coro: Any, timeout: float = 30.0) -> Any:
        if self.loop is None:
            coro.close()
            raise RuntimeError("the fleet is not serving")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def subscriber_login(self, index: int, user: str, password: str, **options: Any) -> dict[str, Any]:
        """From any thread but the fleet's: log a subscriber in at device `index` (see DeviceNas.login)."""
        return self._on_loop(self.nas(index).login(user, password, **options))

    def subscriber_logout(self, index: int, user: str | None = None, session_id: str | None = None) -> int:
        return self._on_loop(self.nas(index).logout(user, session_id))

    def subscribers(self, index: int) -> list[dict[str, Any]]:
        """The device's RADIUS sessions now (counters up to date)."""
        nas = self._nas.get(index)
        return self._on_loop(_describe(nas)) if nas is not None else []

    def _on_change(self, device: SimDevice) -> None:
        self._dirty.add(device)
        self.scheduler.watch(device)

    # ---------------------------------------------------------------- faults & control
    def set_fault(self, index_or_indices: int | Iterable[int], spec: str | Fault | None) -> None:
        """Set (or clear with None/"none") a fault on one or many devices."""
        indices = [index_or_indices] if isinstance(index_or_indices, int) else list(index_or_indices)
        for index in indices:
            fault = parse_fault(spec) if isinstance(spec, str) else spec
            dev = self.device(index)
            dev.set_fault(fault)
            if dev.fault is not None:
                self.scheduler.watch(dev)
            self._faults[index] = dev.fault.describe() if dev.fault else "none"

    def set_latest_version(self, version: str, channel: str = "stable") -> None:
        if version.startswith("6."):
            self.ctx.latest_v6 = version
        else:
            self.ctx.latest[channel] = version

    def describe(self, indices: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Per device: index, address, ports by protocol, identity, version, board, fault."""
        out = []
        for i in range(self.count) if indices is None else indices:
            dev = self._devices.get(i)
            if dev is None and self.state_dir:
                dev = self.device(i)
            hw = dev.hw if dev else derive_hardware(self.seed, i)
            out.append(
                {
                    "index": i,
                    "address": self.address(i),
                    "ports": {p: self.port(p, i) for p in (self.bound_ports or self.ports)},
                    "identity": dev.identity if dev else hw.identity,
                    "version": dev.version if dev else hw.version,
                    "board": hw.board.board_name,
                    "serial": hw.serial,
                    "fault": dev.fault.describe() if dev and dev.fault else None,
                }
            )
        return out

    # ---------------------------------------------------------------- TLS
    @property
    def tls(self) -> Any:
        if self._tls is None:
            from .tls import FleetTLS

            if self.state_dir:
                directory = os.path.join(self.state_dir, "tls")
            else:
                self._tmp = tempfile.TemporaryDirectory(prefix="mikman-sim-")
                directory = self._tmp.name
            self._tls = FleetTLS(directory)
        return self._tls

    @property
    def ca_pem_path(self) -> str:
        return self.tls.ca_pem_path

    def tls_context(self, address: str | None = None) -> ssl.SSLContext:
        """Server context whose certificate covers `address` (default: the first block).

        One certificate covers a whole /24 block of 254 devices; fleets up to 254 devices
        therefore need only this one context.
        """
        block = 0
        if address is not None and self.mode == "addresses":
            index = index_of(address, self.base_address)
            block = (index or 0) // BLOCK
        first = block * BLOCK
        addrs = [self.address(i) for i in range(first, min(self.count, first + BLOCK))]
        return self.tls.context(block, addrs)

    def client_ssl_context(self) -> ssl.SSLContext:
        """Client context pinned to the fleet CA (what tests and benchmarks use)."""
        return self.tls.client_context()

    # ---------------------------------------------------------------- sockets
    def listen_socket(self, proto: str, type: int | None = None) -> socket.socket:  # noqa: A002
        """The shared loopback-only socket for `proto` (address mode).

        TCP sockets are listening; UDP sockets are bound.  Port 0 picks a free port, which
        `bound_ports[proto]` then reports.
        """
        if self.mode != "addresses":
            return self.listen_sockets(proto, type)[0]
        stype = type if type is not None else SOCK_TYPES.get(proto, socket.SOCK_STREAM)
        sock = socket.socket(socket.AF_INET, stype)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        sock.bind(("0.0.0.0", self.ports[proto]))
        if stype == socket.SOCK_STREAM:
            sock.listen(4096)
        sock.setblocking(False)
        self.bound_ports[proto] = sock.getsockname()[1]
        return sock

    def listen_sockets(self, proto: str, type: int | None = None) -> list[socket.socket]:  # noqa: A002
        """Address mode: [the shared socket]; port mode: one socket per device on 127.0.0.1."""
        if self.mode == "addresses":
            return [self.listen_socket(proto, type)]
        stype = type if type is not None else SOCK_TYPES.get(proto, socket.SOCK_STREAM)
        base = self.ports[proto] or _free_port_block(self.count, stype)
        socks = []
        for i in range(self.count):
            sock = socket.socket(socket.AF_INET, stype)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", base + i))
            if stype == socket.SOCK_STREAM:
                sock.listen(128)
            sock.setblocking(False)
            socks.append(sock)
        self.bound_ports[proto] = base
        return socks

    # ---------------------------------------------------------------- running
    def flush(self) -> None:
        """Persist devices whose config changed (no-op without a state dir)."""
        if not self.state_dir:
            self._dirty.clear()
            return
        for dev in list(self._dirty):
            if dev.dirty:
                dev.save()
        self._dirty.clear()

    async def _ticker(self) -> None:
        flush_every = max(1, int(2.0 / self.tick_seconds))
        n = 0
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                self.scheduler.tick(self.clock.now())
                n += 1
                if n % flush_every == 0:
                    await asyncio.get_running_loop().run_in_executor(None, self.flush)
            except Exception as exc:  # noqa: BLE001 - keep ticking
                print(f"simulator ticker error: {exc!r}")

    @contextlib.asynccontextmanager
    async def serve(
        self, protocols: Iterable[str] = ("api", "api-ssl", "ssh", "rest", "snmp")
    ) -> AsyncIterator[dict[str, Any]]:
        """Start the listeners (and scheduler, control endpoint); yields the fleet info."""
        closers = []
        started = []
        self.loop = asyncio.get_running_loop()
        try:
            for proto in protocols:
                target = PROTOCOL_SERVERS.get(proto)
                if target is None:
                    continue
                module_name, func_name = target.split(":")
                try:
                    module = importlib.import_module(module_name)
                except ImportError:
                    continue  # that frontend is not built (yet)
                except Exception:  # noqa: BLE001 - a broken frontend must not take the others down
                    logging.getLogger(__name__).exception("cannot load the %s frontend", proto)
                    continue
                func = getattr(module, func_name, None)
                if func is None:
                    continue
                for sock in self.listen_sockets(proto):
                    closers.append(await func(self, sock))
                started.append(proto)
            ticker = asyncio.get_running_loop().create_task(self._ticker())
            if self.control_port is not None:
                from .control import serve_control

                closers.append(await serve_control(self, self.control_port))
            yield self.info(started)
        finally:
            if "ticker" in locals():
                ticker.cancel()
            for nas in list(self._nas.values()):
                with contextlib.suppress(Exception):
                    await nas.close()
            self.loop = None
            for closer in reversed(closers):
                result = closer()
                if inspect.isawaitable(result):
                    with contextlib.suppress(Exception):
                        await result
            self.flush()

    def info(self, protocols: Iterable[str] | None = None) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "count": self.count,
            "seed": self.seed,
            "protocols": list(protocols or self.bound_ports),
            "ports": dict(self.bound_ports),
            "credentials": self.credentials.as_dict(),
            "ca_pem_path": self.ca_pem_path,
            "control_url": self.control_url,
            "devices": self.describe() if self.count <= 1000 else self.describe(range(10)),
            "fleet": self,
        }

    def close(self) -> None:
        self.ctx.stopping.set()  # interrupts scripts sleeping in :delay
        self.flush()
        self.scheduler.shutdown()
        if self._tmp is not None:
            self._tmp.cleanup()


async def _describe(nas: Any) -> list[dict[str, Any]]:
    return nas.describe()


def _free_port_block(count: int, stype: int) -> int:
    """Find `count` consecutive free ports on 127.0.0.1 (fallback port mode with port 0)."""
    for base in range(20000, 60000 - count, max(count, 100)):
        ok = True
        for port in range(base, base + count):
            with socket.socket(socket.AF_INET, stype) as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise OSError("no free port block")
