"""One simulated RouterOS device: the single state every protocol frontend reads and writes.

Frontends (API, SSH, REST, SNMP) only talk to `SimDevice`; it owns configuration, runtime
(version, boot time, log) and fault behaviour.  All public methods take the device's
re-entrant lock, because paramiko serves from threads while the API server runs on asyncio.

State is built lazily: a device that nobody connects to costs only its `Hardware` record.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import views
from .backup_file import backup_bytes
from .catalog import LATEST_V6, LATEST_VERSION, version_tuple
from .clock import SimClock
from .errors import (
    RouterOSError,
    no_permission,
    no_such_command,
    no_such_command_prefix,
    no_such_item,
    unknown_parameter,
)
from .factory import Op, bulk_config, factory_state, seeded_config
from .faults import Fault, parse_duration, parse_fault
from .hardware import Hardware, derive_hardware
from .latency import Latency
from .menus import COMMAND_PATHS, GENERIC_COMMANDS, MENUS, PATH_PREFIXES, Menu, canonical_path, menu_for
from .state import DeviceState, Row, bool_value, network_of

PROTOCOLS = ("api", "api-ssl", "ssh", "rest", "snmp")
SERVICE_FOR = {"api": "api", "api-ssl": "api-ssl", "ssh": "ssh", "rest": "www-ssl"}
LOGIN_POLICY = {"api": "api", "api-ssl": "api", "ssh": "ssh", "rest": "rest-api"}
MGMT_CUT_COMMENT = "sim fault: management cut"
# Values a new row gets when the seeded config does not say (as `_add` would set them).
_ADD_DEFAULTS = {
    "/ip/firewall/filter": {"action": "accept"},
    "/ip/firewall/nat": {"action": "accept"},
    "/system/scheduler": {"owner": ""},
    "/system/script": {"owner": ""},
}
LOG_LINES = 50  # per device; lines are interned, so repeated login lines cost one string fleet-wide


@dataclass(frozen=True)
class SimUser:
    """A logged-in user and the policies of its group."""

    name: str
    group: str
    policies: frozenset[str]

    def can(self, policy: str) -> bool:
        return policy in self.policies


@dataclass
class DeviceContext:
    """Fleet-wide settings every device shares (one object, referenced by all devices)."""

    seed: int = 1
    clock: SimClock = field(default_factory=SimClock)
    admin_user: str = "admin"
    admin_password: str = "sim-admin"
    monitor_user: str = "monitor"
    monitor_password: str = "sim-monitor"
    reboot_seconds: float = 2.0  # real seconds a reboot keeps the device away
    latency: Latency | None = None
    latest: dict[str, str] = field(default_factory=lambda: dict(LATEST_VERSION))
    latest_v6: str = LATEST_V6
    state_dir: str | None = None
    on_change: Callable[[SimDevice], None] | None = None  # scheduler / persistence hook
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    stopping: threading.Event = field(default_factory=threading.Event)  # set when the fleet shuts down
    config_bulk: bool = False  # realistic 5-50 KB exports (factory.bulk_config), for backup benchmarks


class SimDevice:
    """A simulated router; its public surface is the contract the protocol frontends use.

    Identity: index, address, version, major, identity, board, model, serial.
    Reachability and faults: is_reachable(proto), is_blackholed(), fault, reply_delay()
    / reply_delay_s(), mangle_reply(data), attach(closer, proto) / detach(token).
    State: authenticate, authorized_keys, user, print, add, set, remove, enable, disable, get,
    execute, cli / cli_result, export, snmp_view, reboot, log / add_log_listener.
    Errors are RouterOSError (message + category).
    """

    def __init__(self, index: int, address: str, ctx: DeviceContext | None = None, hw: Hardware | None = None) -> None:
        self.ctx = ctx or DeviceContext()
        self.index = index
        self.address = address
        self.hw = hw or derive_hardware(self.ctx.seed, index)
        self.version = self.hw.version
        self.pending_version: str | None = None
        self.current_firmware = self.hw.current_firmware
        self.boot_time = self.ctx.clock.now() - self.hw.initial_uptime
        self.down_until = 0.0
        self.fault: Fault | None = None
        self.generation = 0  # bumps on every config change (reply caches key on it)
        self.dirty = False
        self.update_status = ""
        self.latest_seen = ""
        self.boot_scripts_pending = False
        self.sched_next: dict[str, float] = {}  # scheduler row id -> next run (sim epoch)
        self.sched_runs: dict[str, int] = {}
        self.sched_due = 0.0  # earliest cached next run; 0 = recompute
        self._lock = threading.RLock()
        self._state: DeviceState | None = None
        self._log: deque[tuple[int, float, str, str]] = deque(maxlen=LOG_LINES)
        self._log_seq = itertools.count(1)
        self._log_listeners: list[Callable[[dict[str, str]], None]] = []
        self._conns: dict[int, tuple[Callable[[], None], str | None]] = {}
        self._conn_seq = itertools.count(1)
        self._fault_cycle = -1
        self.nas: Any = None  # nas.DeviceNas once the fleet made it a RADIUS client

    # ------------------------------------------------------------------ identity
    @property
    def version(self) -> str:
        return self._version

    @version.setter
    def version(self, value: str) -> None:
        self._version = value
        self.major = int(value.split(".", 1)[0])
        part = value.split(".")[1] if "." in value else "0"
        self.minor = int("".join(ch for ch in part.split("rc")[0] if ch.isdigit()) or 0)

    @property
    def identity(self) -> str:
        if self._state is None:
            return self.hw.identity
        return self._state.singles.get("/system/identity", {}).get("name", "MikroTik")

    @property
    def board(self) -> str:
        return self.hw.board.board_name

    @property
    def model(self) -> str:
        return self.hw.board.model

    @property
    def serial(self) -> str:
        return self.hw.serial

    @property
    def built(self) -> bool:
        return self._state is not None

    def __repr__(self) -> str:
        return f"<SimDevice {self.index} {self.address} {self.version} {self.board}>"

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> DeviceState:
        if self._state is None:
            with self._lock:
                if self._state is None:
                    self._build()
        assert self._state is not None
        return self._state

    def _build(self) -> None:
        if self.ctx.state_dir and self._load():
            return
        self._state = factory_state(self.hw, self.major, self.ctx.admin_user, self.ctx.admin_password)
        self.apply_ops(
            seeded_config(self.hw, self.major, self.ctx.seed, self.ctx.monitor_user, self.ctx.monitor_password)
        )
        if self.ctx.config_bulk:
            self.apply_ops(bulk_config(self.hw, self.ctx.seed))
        self.generation = 0
        self.dirty = False
        self.log("system,info", "router rebooted")

    def reset_configuration(self) -> None:
        """Factory-fresh: hardware rows and the admin user only (no seeded config)."""
        with self._lock:
            self._state = factory_state(self.hw, self.major, self.ctx.admin_user, self.ctx.admin_password)
            self.sched_next.clear()
            self._changed()

    def apply_ops(self, ops: list[Op]) -> None:
        """Apply trusted seeded operations directly (no validation: this is the hot build path)."""
        state = self._state
        assert state is not None
        major = self.major
        for op in ops:
            menu = menu_for(op.path, major)
            if menu is None:
                continue
            if op.action == "add":
                extra = _ADD_DEFAULTS.get(menu.path)
                if extra is None:
                    row: Row = {".id": state.new_id(menu), **op.attrs}  # sized once: rows are most of the memory
                else:
                    row = {".id": state.new_id(menu), **extra, **op.attrs}
                    if "owner" in extra:
                        row["owner"] = self.ctx.admin_user
                state.rows(menu.path).append(row)
            elif op.selector:
                key, value = op.selector
                target = next(r for r in state.rows(op.path) if r.get(key) == value)
                target.update(op.attrs)
            else:
                state.singles.setdefault(menu.path, {}).update(op.attrs)
        self._changed()

    def _changed(self, menu: Menu | None = None) -> None:
        self.generation += 1
        self.dirty = True
        if menu is None or menu.path == "/system/scheduler":
            self.sched_next.clear()
            self.sched_due = 0.0
        if self.ctx.on_change is not None:
            self.ctx.on_change(self)

    # ------------------------------------------------------------------ persistence
    def state_path(self) -> str:
        """Where this device's config is persisted (needs a state dir)."""
        assert self.ctx.state_dir
        return os.path.join(self.ctx.state_dir, "devices", f"{self.index}.json")

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": self.version,
                "current_firmware": self.current_firmware,
                "state": self.state.to_json(),
            }

    def save(self) -> None:
        """Write this device's config to the state dir (atomic rename)."""
        if not self.ctx.state_dir or self._state is None:
            return
        data = self.to_json()
        path = self.state_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
        self.dirty = False

    def _load(self) -> bool:
        try:
            with open(self.state_path()) as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return False
        self.version = data["version"]
        self.current_firmware = data.get("current_firmware", self.current_firmware)
        self._state = DeviceState.from_json(data["state"])
        return True

    # ------------------------------------------------------------------ time
    def now(self) -> float:
        return self.ctx.clock.now()

    def uptime(self, now: float | None = None) -> float:
        now = self.now() if now is None else now
        if self.fault is not None and self.fault.kind == "reboot-loop":
            import time as _t

            span = self.fault.period_s + self.ctx.reboot_seconds
            return ((_t.monotonic() - self.fault.since) % span) * self.ctx.clock.speed
        return max(0.0, now - self.boot_time)

    # ------------------------------------------------------------------ faults & reachability
    def is_rebooting(self) -> bool:
        return self.down_until > 0 and self.now() < self.down_until

    def is_reachable(self, proto: str) -> bool:
        """May a new `proto` connection be accepted?  False = refuse (RST / no answer for UDP)."""
        fault = self.fault
        if fault is not None and fault.is_down(reboot_s=self.ctx.reboot_seconds):
            return False
        if self.is_rebooting():
            return False
        with self._lock:
            if proto == "snmp":
                if self.state.singles.get("/snmp", {}).get("enabled", "no") != "yes":
                    return False
                return not self._firewalled("udp", 161)
            service = SERVICE_FOR.get(proto)
            if service is None:
                raise ValueError(f"unknown protocol {proto!r}")
            if proto == "rest" and self.major < 7:
                return False
            row = next((r for r in self.state.rows("/ip/service") if r.get("name") == service), None)
            if row is None or row.get("disabled") == "yes":
                return False
            return not self._firewalled("tcp", int(row.get("port", "0")))

    def _firewalled(self, protocol: str, port: int) -> bool:
        """First-match evaluation of unconditional input rules against management traffic."""
        qualifiers = (
            "in-interface",
            "in-interface-list",
            "src-address",
            "src-address-list",
            "connection-state",
            "dst-address",
            "dst-address-list",
            "src-port",
        )
        for rule in self.state.tables.get("/ip/firewall/filter", ()):
            if rule.get("chain") != "input" or rule.get("disabled") == "yes":
                continue
            if any(rule.get(q) for q in qualifiers):
                continue
            if rule.get("protocol") and rule["protocol"] != protocol:
                continue
            ports = rule.get("dst-port")
            if ports and not _port_in(port, ports):
                continue
            action = rule.get("action", "accept")
            if action == "accept":
                return False
            if action in ("drop", "reject", "tarpit"):
                return True
        return False

    def is_blackholed(self) -> bool:
        """Accept connections but never answer (frontends just keep the socket open)."""
        return self.fault is not None and self.fault.kind == "blackhole"

    def reply_delay_s(self) -> float:
        """Seconds to wait before sending a reply (fleet latency model + slow fault)."""
        delay = self.ctx.latency.sample(self.ctx.rng) if self.ctx.latency else 0.0
        if self.fault is not None and self.fault.kind == "slow":
            delay += self.fault.latency_s
        return delay

    async def reply_delay(self) -> None:
        delay = self.reply_delay_s()
        if delay > 0:
            await asyncio.sleep(delay)

    def mangle_reply(self, data: bytes) -> tuple[bytes, str]:
        """Apply reply faults: returns (bytes to send, then "send" | "close" | "reset")."""
        fault = self.fault
        if fault is None or fault.kind not in ("truncate", "garbage", "reset"):
            return data, "send"
        if fault.kind == "truncate":
            return data[: max(1, len(data) // 2)], "close"
        if fault.kind == "reset":
            return data[: len(data) // 2], "reset"
        return b"\xf8\xff\x00garbage\xfe" + bytes(reversed(data[:32])), "send"

    def set_fault(self, fault: Fault | str | None) -> None:
        """Change the active fault; offline-like faults drop open connections."""
        if isinstance(fault, str):
            fault = parse_fault(fault)
        with self._lock:
            self.fault = fault
            self._fault_cycle = -1
            if fault is not None and fault.kind == "mgmt-cut":
                self.cut_management()
                self.fault = None
        if fault is not None and fault.kind in ("offline", "flapping", "reboot-loop"):
            if fault.is_down(reboot_s=self.ctx.reboot_seconds) or fault.kind != "flapping":
                self.drop_connections()

    def cut_management(self) -> str:
        """Add the config change that blocks API, API-SSL, SSH and REST on this device."""
        with self._lock:
            menu = self._menu("/ip/firewall/filter")
            new_id = self._add(
                menu,
                {
                    "chain": "input",
                    "action": "drop",
                    "protocol": "tcp",
                    "dst-port": "22,443,8728,8729",
                    "comment": MGMT_CUT_COMMENT,
                },
                None,
                system=True,
            )
            rows = self.state.rows(menu.path)
            rows.insert(0, rows.pop())
            self.drop_connections()
            return new_id

    def enforce_faults(self) -> None:
        """Called periodically by the fleet: drop connections when a flapping/looping device goes down."""
        fault = self.fault
        if fault is None or fault.kind not in ("flapping", "reboot-loop"):
            return
        cycle = fault.cycle(reboot_s=self.ctx.reboot_seconds)
        down = fault.is_down(reboot_s=self.ctx.reboot_seconds)
        if down and self._fault_cycle != cycle:
            self._fault_cycle = cycle
            self.drop_connections()
            if fault.kind == "reboot-loop" and self.nas is not None:
                self.nas.device_rebooted()

    # ------------------------------------------------------------------ connections
    def attach(self, closer: Callable[[], None], proto: str | None = None) -> int:
        """Register an open connection; `closer` is called (from any thread) when the device
        reboots or goes offline, or when `proto`'s service is disabled.  Returns a token for detach."""
        with self._lock:
            token = next(self._conn_seq)
            self._conns[token] = (closer, proto)
            return token

    def detach(self, token: int) -> None:
        with self._lock:
            self._conns.pop(token, None)

    def drop_connections(self, proto: str | None = None) -> None:
        """Close open connections (all, or only those of one protocol)."""
        with self._lock:
            tokens = [t for t, (_, p) in self._conns.items() if proto is None or p == proto]
            closers = [self._conns.pop(t)[0] for t in tokens]
        for closer in closers:
            try:
                closer()
            except Exception:  # noqa: BLE001, S110 - a broken connection must not stop the others
                pass

    # ------------------------------------------------------------------ users
    def _user(self, username: str) -> Row | None:
        return next((r for r in self.state.rows("/user") if r.get("name") == username), None)

    def _policies(self, group: str) -> frozenset[str]:
        row = next((r for r in self.state.rows("/user/group") if r.get("name") == group), None)
        if row is None:
            return frozenset()
        return frozenset(p for p in row.get("policy", "").split(",") if p and not p.startswith("!"))

    def user(self, username: str) -> SimUser | None:
        with self._lock:
            row = self._user(username)
            if row is None:
                return None
            return SimUser(row["name"], row.get("group", ""), self._policies(row.get("group", "")))

    def authenticate(self, username: str, password: str, service: str, source: str = "127.0.0.1") -> SimUser | None:
        """Check credentials and the login policy for `service`; logs like RouterOS does."""
        with self._lock:
            row = self._user(username)
            ok = (
                row is not None
                and row.get("disabled") != "yes"
                and row.get("password", "") == password
                and not (self.fault is not None and self.fault.kind == "wrong-credentials")
            )
            user = self.user(username) if ok else None
            if user is not None and not user.can(LOGIN_POLICY.get(service, service)):
                user = None
            via = {"api-ssl": "api", "rest": "rest"}.get(service, service)
            if user is None:
                self.log("system,error,critical", f"login failure for user {username} from {source} via {via}")
                return None
            row["last-logged-in"] = views.datetime_text(self.now(), self.major, self.minor)
            self.log("system,info,account", f"user {username} logged in from {source} via {via}")
            return user

    def authorized_keys(self, username: str) -> list[str]:
        with self._lock:
            return [r["key"] for r in self.state.rows("/user/ssh-keys") if r.get("user") == username and r.get("key")]

    # ------------------------------------------------------------------ log
    def log(self, topics: str, message: str) -> None:
        now = self.now()
        entry = (next(self._log_seq), now, sys.intern(topics), sys.intern(message))
        self._log.append(entry)
        if self._log_listeners:
            row = self._log_row(entry)
            for listener in list(self._log_listeners):
                listener(row)

    def _log_row(self, entry: tuple[int, float, str, str]) -> dict[str, str]:
        seq, when, topics, message = entry
        return {
            ".id": f"*{seq:X}",
            "time": views.datetime_text(when, self.major, self.minor),
            "topics": topics,
            "message": message,
        }

    def add_log_listener(self, listener: Callable[[dict[str, str]], None]) -> Callable[[], None]:
        """Call `listener(row)` for every new log line; returns the unsubscribe function."""
        with self._lock:
            self._log_listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._log_listeners:
                    self._log_listeners.remove(listener)

        return remove

    # ------------------------------------------------------------------ menus & rendering
    def _menu(self, path: str) -> Menu:
        path = canonical_path(path)
        menu = menu_for(path, self.major)
        if menu is None:
            raise no_such_command_prefix()
        return menu

    def resolve_command(self, full: str) -> tuple[str, str]:
        """ "/ip/address/print" -> ("/ip/address", "print"), with RouterOS' errors for bad paths."""
        full = canonical_path(full)
        path, _, command = full.rpartition("/")
        path = path or "/"
        menu = menu_for(path, self.major)
        if menu is not None:
            if command in GENERIC_COMMANDS or command in menu.commands or command in COMMAND_PATHS.get(path, ()):
                return path, command
            raise no_such_command()
        if command in COMMAND_PATHS.get(path, ()):
            return path, command
        if path in PATH_PREFIXES and path not in MENUS:
            raise no_such_command()
        raise no_such_command_prefix()

    def _show_sensitive(self, user: SimUser | None) -> bool:
        return user is None or user.can("sensitive")

    def _render(self, menu: Menu, row: Row, sensitive: bool, api: bool = True) -> dict[str, str]:
        out: dict[str, str] = {}
        if ".id" in row:
            out[".id"] = row[".id"]
        for f in menu.fields:
            if f.writeonly or (f.sensitive and not sensitive):
                continue
            value = row.get(f.name, f.default)
            if value is None:
                continue
            if f.boolean and api:
                value = "true" if value == "yes" else "false"
            out[f.name] = value
        extra = self._extras(menu, row)
        if extra:
            out.update(extra)
        return out

    def _extras(self, menu: Menu, row: Row) -> dict[str, str] | None:
        path = menu.path
        if menu.iface_type:
            running = views.link_running(self, menu.iface_type, row)
            extra = {"running": "true" if running else "false"}
            if "mac-address" not in row and menu.iface_type in ("bridge", "vlan"):
                extra["mac-address"] = self.hw.mac(0x20 + int(row[".id"][1:], 16))
            return extra
        if path == "/system/scheduler":
            return {
                "owner": row.get("owner", self.ctx.admin_user),
                "run-count": str(self.sched_runs.get(row[".id"], 0)),
                "next-run": self._next_run_text(row),
            }
        if path == "/system/script":
            return {"owner": row.get("owner", self.ctx.admin_user), "run-count": str(row.get("_runs", 0))}
        if path == "/file":
            return {"size": str(len(row.get("contents", "")) or row.get("_size", 0)), "type": _file_type(row)}
        if path == "/ip/address":
            return {"actual-interface": row.get("interface", "")}
        if path == "/ip/route":
            extra = {"active": "false" if row.get("disabled") == "yes" else "true"}
            if self.major == 7:
                extra["routing-table"] = row.get("routing-table", "main")
            return extra
        if path in ("/ip/firewall/filter", "/ip/firewall/nat"):
            n = int(self.hw.hash01("fw:" + row[".id"]) * 50) * int(self.uptime())
            return {"bytes": str(n * 600), "packets": str(n)}
        if path == "/user/ssh-keys":
            return {
                "key-owner": row.get("key-owner", ""),
                "bits": row.get("bits", ""),
                "key-type": row.get("key-type", ""),
            }
        return None

    def _next_run_text(self, row: Row) -> str:
        nxt = self.sched_next.get(row[".id"])
        if nxt is None or nxt == float("inf") or row.get("disabled") == "yes":
            return ""
        return views.datetime_text(nxt, self.major, self.minor)

    def _view_rows(self, menu: Menu, now: float, user: SimUser | None) -> list[dict[str, str]]:
        path = menu.path
        if path == "/interface":
            return views.interface_rows(self, now)
        if path == "/system/resource":
            return [views.resource_row(self, now)]
        if path == "/system/routerboard":
            return [views.routerboard_row(self)]
        if path == "/system/health":
            return views.health_rows(self, now)
        if path == "/system/license":
            return [views.license_row(self)]
        if path == "/system/package":
            return views.package_rows(self)
        if path == "/interface/wireless/registration-table":
            return views.registration_rows(self, now, "wlan")
        if path == "/interface/wifi/registration-table":
            return views.registration_rows(self, now, "wifi")
        if path == "/ppp/active":
            return views.ppp_active_rows(self, now)
        if path == "/ip/hotspot/active":
            return views.hotspot_active_rows(self, now)
        if path == "/log":
            return [self._log_row(e) for e in self._log]
        return []

    def _single_row(self, menu: Menu, now: float, sensitive: bool) -> dict[str, str]:
        values = self.state.singles.get(menu.path, {})
        row = self._render(menu, values, sensitive)
        if menu.path == "/system/clock":
            row.update(
                {
                    "time": views.time.strftime("%H:%M:%S", views.time.gmtime(now)),
                    "date": views.date_text(now, self.major, self.minor),
                    "gmt-offset": "+00:00",
                }
            )
        elif menu.path == "/system/package/update":
            row.update(self._update_row())
        return row

    def _update_row(self) -> dict[str, str]:
        channel = self.state.singles.get("/system/package/update", {}).get("channel", "stable")
        row = {"channel": channel, "installed-version": self.version}
        if self.latest_seen:
            row["latest-version"] = self.latest_seen
        if self.update_status:
            row["status"] = self.update_status
        return row

    def rows(self, path: str, user: SimUser | None = None) -> list[dict[str, str]]:
        """All rows of a menu as the API prints them (booleans true/false)."""
        menu = self._menu(path)
        now = self.now()
        sensitive = self._show_sensitive(user)
        if menu.kind == "view":
            return self._view_rows(menu, now, user)
        if menu.kind == "single":
            return [self._single_row(menu, now, sensitive)]
        return [self._render(menu, r, sensitive) for r in self.state.rows(menu.path)]

    # ------------------------------------------------------------------ public CRUD
    def print(
        self,
        path: str,
        user: SimUser | None = None,
        proplist: list[str] | None = None,
        queries: list[str] | None = None,
    ) -> list[dict[str, str]]:
        """Rows of a menu, filtered by API query words and reduced to `proplist`."""
        from .query import filter_rows

        with self._lock:
            self._require(user, "read")
            rows = self.rows(path, user)
        if queries:
            rows = filter_rows(rows, queries)
        if proplist:
            rows = [{k: r[k] for k in proplist if k in r} for r in rows]
        return rows

    def add(self, path: str, attrs: dict[str, str], user: SimUser | None = None) -> str:
        with self._lock:
            menu = self._menu(path)
            if menu.kind in ("view", "single") or (menu.kind == "fixed" and not menu.addable):
                raise no_such_command()
            self._require(user, "write")
            if menu.policy != "write":
                self._require(user, menu.policy)
            return self._add(menu, dict(attrs), user)

    def set(self, path: str, id_or_none: str | None, attrs: dict[str, str], user: SimUser | None = None) -> None:
        with self._lock:
            menu = self._menu(path)
            attrs = dict(attrs)
            if id_or_none is None:
                id_or_none = attrs.pop(".id", None) or attrs.pop("numbers", None)
            self._check_writable(menu, user)
            if menu.kind == "single":
                self._set(menu, None, attrs, user)
                return
            if not id_or_none:
                raise RouterOSError("no such item", "not-found")
            for menu_, row in self.resolve_items(menu, id_or_none):
                self._set(menu_, row, dict(attrs), user)

    def remove(self, path: str, id: str, user: SimUser | None = None) -> None:  # noqa: A002
        with self._lock:
            menu = self._menu(path)
            self._check_writable(menu, user)
            if menu.kind == "single":
                raise no_such_command()
            items = self.resolve_items(menu, id)
            for _, row in items:
                if "_fx" in row:
                    raise RouterOSError("failure: can not remove builtin item", "failure")
            for menu_, row in items:
                self.state.rows(menu_.path).remove(row)
                self.sched_next.pop(row[".id"], None)
                self._changed(menu_)
            self._log_change(menu, "removed", user)

    def enable(self, path: str, id: str, user: SimUser | None = None) -> None:  # noqa: A002
        self.set(path, id, {"disabled": "no"}, user)

    def disable(self, path: str, id: str, user: SimUser | None = None) -> None:  # noqa: A002
        self.set(path, id, {"disabled": "yes"}, user)

    def get(self, path: str, id_or_none: str | None, name: str, user: SimUser | None = None) -> str:
        """`/menu get [find ...] value-name` / API `get =value-name=`."""
        with self._lock:
            self._require(user, "read")
            menu = self._menu(path)
            if menu.kind == "single" or (menu.kind == "view" and path != "/interface" and id_or_none is None):
                rows = self.rows(path, user)
                row = rows[0] if rows else {}
            else:
                if not id_or_none:
                    raise no_such_item()
                if menu.kind == "view" and path != "/interface":
                    ids = {id_or_none}
                else:
                    ids = {r[".id"] for _, r in self.resolve_items(menu, id_or_none)}
                row = next((r for r in self.rows(path, user) if r.get(".id") in ids), None)
                if row is None:
                    raise no_such_item()
            if name not in row:
                if name in menu.fmap or menu.kind == "view":
                    return ""
                raise RouterOSError("no such property", "bad-arg")
            return row[name]

    # ------------------------------------------------------------------ internals
    def _require(self, user: SimUser | None, policy: str) -> None:
        if user is not None and not user.can(policy):
            raise no_permission()

    def _check_writable(self, menu: Menu, user: SimUser | None) -> None:
        if menu.kind == "view" and menu.path != "/interface":
            raise no_such_command()
        self._require(user, "write")
        if menu.policy != "write":
            self._require(user, menu.policy)

    def _log_change(self, menu: Menu, verb: str, user: SimUser | None) -> None:
        who = user.name if user else "system"
        self.log("system,info", f"{menu.cli_path[1:]} {verb} by {who}")

    def resolve_items(self, menu: Menu, spec: str) -> list[tuple[Menu, Row]]:
        """Rows named by ".id" list, names, or print numbers ("*1,*2", "ether1", "0")."""
        out: list[tuple[Menu, Row]] = []
        if menu.path == "/interface":
            pool = [(m, r) for m, r in self.state.interface_rows()]
        else:
            pool = [(menu, r) for r in self.state.rows(menu.path)]
        for item in (s.strip() for s in spec.replace(";", ",").split(",")):
            if not item:
                continue
            if item.startswith("*"):
                match = next((p for p in pool if p[1][".id"] == item), None)
            elif item.isdigit() and not (menu.key and any(p[1].get(menu.key) == item for p in pool)):
                n = int(item)
                match = pool[n] if n < len(pool) else None
            else:
                key = menu.key or "name"
                match = next(
                    (
                        p
                        for p in pool
                        if p[1].get(key) == item or p[1].get("default-name") == item and menu.path == "/interface"
                    ),
                    None,
                )
            if match is None:
                raise no_such_item()
            out.append(match)
        return out

    def _clean_attrs(self, menu: Menu, attrs: dict[str, str], system: bool) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        for name, value in attrs.items():
            if name in (".id", "numbers") or (system and name.startswith("_")):
                if name.startswith("_"):
                    clean[name] = value
                continue
            f = menu.fmap.get(name)
            if f is None or (f.readonly and not system):
                raise unknown_parameter(name)
            value = "" if value is None else str(value)
            clean[name] = bool_value(name, value) if f.boolean else value
        return clean

    def _add(self, menu: Menu, attrs: dict[str, str], user: SimUser | None, system: bool = False) -> str:
        clean = self._clean_attrs(menu, attrs, system)
        rows = self.state.rows(menu.path)
        if menu.iface_type:
            names = self.state.interface_names()
            if not clean.get("name"):
                prefix = {"bridge": "bridge", "vlan": "vlan", "pppoe-out": "pppoe-out"}.get(menu.iface_type, "if")
                clean["name"] = next(f"{prefix}{i}" for i in itertools.count(1) if f"{prefix}{i}" not in names)
            elif clean["name"] in names:
                raise RouterOSError("failure: already have interface with such name", "failure")
        elif menu.key and clean.get(menu.key) and any(r.get(menu.key) == clean[menu.key] for r in rows):
            raise RouterOSError("failure: already have item with such name", "failure")
        self._validate(menu, clean, None)
        if menu.path in ("/ip/firewall/filter", "/ip/firewall/nat"):
            clean.setdefault("action", "accept")  # RouterOS stores (and exports) it explicitly
        if menu.path == "/file" and self.fault is not None and self.fault.kind == "disk-full":
            raise RouterOSError("failure: not enough disk space", "failure")
        row: Row = {".id": self.state.new_id(menu), **clean}
        if menu.path in ("/system/scheduler", "/system/script") and "owner" not in row:
            row["owner"] = user.name if user else self.ctx.admin_user
        if menu.path == "/file":
            row["creation-time"] = views.datetime_text(self.now(), self.major, self.minor)
        rows.append(row)
        self._changed(menu)
        if not system:
            self._log_change(menu, "added", user)
        return row[".id"]

    def _set(
        self, menu: Menu, row: Row | None, attrs: dict[str, str], user: SimUser | None, system: bool = False
    ) -> None:
        clean = self._clean_attrs(menu, attrs, system)
        if row is None:
            if menu.kind != "single":
                raise no_such_item()
            values = self.state.singles.setdefault(menu.path, {})
            if menu.path == "/system/package/update" and "channel" in clean:
                self.update_status = ""
                self.latest_seen = ""
            values.update(clean)
        else:
            if "name" in clean and clean["name"] != row.get("name"):
                if menu.iface_type and clean["name"] in self.state.interface_names():
                    raise RouterOSError("failure: already have interface with such name", "failure")
                if (
                    menu.key == "name"
                    and not menu.iface_type
                    and any(r.get("name") == clean["name"] for r in self.state.rows(menu.path))
                ):
                    raise RouterOSError("failure: already have item with such name", "failure")
            self._validate(menu, clean, row)
            row.update(clean)
            if menu.path == "/ip/service" and clean.get("disabled") == "yes":
                for proto, service in SERVICE_FOR.items():
                    if service == row.get("name"):
                        self.drop_connections(proto)
        self._changed(menu)
        if not system:
            self._log_change(menu, "changed", user)

    def _validate(self, menu: Menu, clean: dict[str, Any], row: Row | None) -> None:
        path = menu.path
        if path == "/ip/address":
            address = clean.get("address", row.get("address") if row else None)
            if not address:
                raise RouterOSError("failure: address not specified", "bad-arg")
            if "address" in clean and "network" not in clean:
                clean["network"] = network_of(address)
            if "interface" in clean and clean["interface"] not in self.state.interface_names():
                raise RouterOSError("input does not match any value of interface", "bad-arg")
        elif path == "/user":
            group = clean.get("group")
            if group is not None and group not in {r.get("name") for r in self.state.rows("/user/group")}:
                raise RouterOSError("input does not match any value of group", "bad-arg")
            if row is None and not clean.get("group"):
                raise RouterOSError("failure: group not specified", "bad-arg")
        elif path == "/user/ssh-keys" and "key" in clean:
            parts = clean["key"].split()
            if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
                raise RouterOSError("failure: unable to load key file (wrong format or bad passphrase)!", "failure")
            clean["key-type"] = parts[0].replace("ssh-", "")
            clean["key-owner"] = parts[2] if len(parts) > 2 else ""
            clean["bits"] = {"ed25519": "256", "rsa": "2048"}.get(clean["key-type"], "256")
        elif path in ("/system/scheduler",):
            for name in ("interval",):
                if name in clean:
                    try:
                        parse_duration(clean[name])
                    except ValueError as exc:
                        raise RouterOSError(f"invalid value for argument {name}", "bad-arg") from exc

    # ------------------------------------------------------------------ commands
    def execute(
        self, path: str, command: str, attrs: dict[str, str], user: SimUser | None = None
    ) -> list[dict[str, str]]:
        """Menu commands beyond CRUD: reboot, check-for-updates, install, save, run, import, ..."""
        path = canonical_path(path)
        attrs = dict(attrs)
        from .commands import COMMANDS

        handler = COMMANDS.get((path, command))
        if handler is None:
            if command in ("print", "add", "set", "remove", "enable", "disable"):
                return self._generic(path, command, attrs, user)
            self.resolve_command(f"{path}/{command}")
            raise no_such_command()
        return handler(self, attrs, user)

    def _generic(self, path: str, command: str, attrs: dict[str, str], user: SimUser | None) -> list[dict[str, str]]:
        if command == "print":
            return self.print(path, user)
        if command == "add":
            return [{"ret": self.add(path, attrs, user)}]
        target = attrs.pop(".id", None) or attrs.pop("numbers", None)
        if command == "set":
            self.set(path, target, attrs, user)
        elif command == "remove":
            self.remove(path, target or "", user)
        elif command == "enable":
            self.enable(path, target or "", user)
        else:
            self.disable(path, target or "", user)
        return []

    def reboot(self, user: SimUser | None = None, reason: str = "reboot") -> None:
        """Drop connections, stay away for the reboot interval, come back (maybe upgraded)."""
        with self._lock:
            self._require(user, "reboot")
            now = self.now()
            self.down_until = now + self.ctx.reboot_seconds * self.ctx.clock.speed
            self.boot_time = self.down_until
            if self.pending_version and self.fault is not None and self.fault.kind == "upgrade-fails":
                self.log("system,error", f"upgrade to {self.pending_version} failed, booting {self.version}")
                self.pending_version = None
                self.update_status = ""
            elif self.pending_version:
                self.version = self.pending_version
                self.pending_version = None
                self.update_status = ""
                self.latest_seen = ""
                self.dirty = True
            self.sched_next.clear()
            self.sched_due = 0.0
            self.boot_scripts_pending = True
            self.generation += 1
            self.log("system,info", f"system {reason} by {user.name if user else 'system'}")
        self.drop_connections()
        if self.nas is not None:
            self.nas.device_rebooted()  # its RADIUS sessions end; Accounting-On once it is back
        if self.ctx.on_change is not None:
            self.ctx.on_change(self)

    def reset_and_run(self, keep_users: bool, run_after: str | None, user: SimUser | None = None) -> None:
        """`/system reset-configuration no-defaults=yes [keep-users=yes] [run-after-reset=file]`."""
        with self._lock:
            self._require(user, "policy")
            old = self.state
            self._state = factory_state(self.hw, self.major, self.ctx.admin_user, self.ctx.admin_password)
            self._state.tables["/file"] = old.tables.get("/file", [])
            if keep_users:
                for path in ("/user", "/user/group", "/user/ssh-keys"):
                    self._state.tables[path] = old.tables.get(path, [])
                    space = path
                    self._state.next_ids[space] = old.next_ids.get(space, 1)
            self._state.next_ids["/file"] = old.next_ids.get("/file", 1)
            self.sched_next.clear()
            self._changed()
            source = ""
            if run_after:
                row = next((f for f in self._state.rows("/file") if f.get("name") == run_after), None)
                source = row.get("contents", "") if row else ""
        self.reboot(user, reason="reset-configuration")
        if source:
            self.run_source(source, None)

    def latest_version(self) -> str:
        channel = self.state.singles.get("/system/package/update", {}).get("channel", "stable")
        if self.major == 6:
            return self.ctx.latest_v6
        return self.ctx.latest.get(channel, self.ctx.latest.get("stable", self.version))

    def check_for_updates(self, user: SimUser | None = None) -> dict[str, str]:
        with self._lock:
            self._require(user, "read")
            latest = self.latest_version()
            self.latest_seen = latest
            if version_tuple(latest) > version_tuple(self.version):
                self.update_status = "New version is available"
            else:
                self.update_status = "System is already up to date"
            return self._update_row()

    def install_update(self, user: SimUser | None = None) -> None:
        with self._lock:
            self._require(user, "reboot")
            latest = self.latest_version()
            if version_tuple(latest) <= version_tuple(self.version):
                raise RouterOSError("failure: system is already up to date", "failure")
            self.pending_version = latest
            self.update_status = "installing"
            self.log("system,info", f"installed routeros-{latest}")
        self.reboot(user, reason="upgrade")

    def backup_save(self, name: str, user: SimUser | None = None, password: str = "") -> str:
        """`/system backup save`: a `.backup` file whose bytes (backup_file.backup_bytes) come from
        the config; `password` scrambles them as RouterOS encrypts (dont-encrypt=yes: none)."""
        with self._lock:
            self._require(user, "write")
            if self.fault is not None and self.fault.kind == "disk-full":
                self.log("system,error", "backup failed: not enough disk space")
                raise RouterOSError("failure: not enough disk space", "failure")
            name = name or f"{self.identity}-{views.date_text(self.now(), 7).replace('-', '')}"
            fname = name if name.endswith(".backup") else name + ".backup"
            snapshot = json.dumps(self.state.to_json())
            files = self.state.rows("/file")
            files[:] = [f for f in files if f.get("name") != fname]
            row = {"name": fname, "_snapshot": snapshot, "_size": len(backup_bytes(snapshot, password))}
            if password:
                row["_password"] = password
            self._add(self._menu("/file"), row, user, system=True)
            self.log("system,info", "configuration backup saved")
            return fname

    def file_bytes(self, name: str) -> bytes | None:
        """A `/file` row's bytes as SFTP/FTP serve them (None: no such file)."""
        with self._lock:
            row = next((f for f in self.state.rows("/file") if f.get("name") == name.lstrip("/")), None)
            if row is None:
                return None
            if "_snapshot" in row:
                return backup_bytes(row["_snapshot"], row.get("_password", ""))
            return row.get("contents", "").encode()

    def file_names(self) -> list[str]:
        with self._lock:
            return [f.get("name", "") for f in self.state.rows("/file")]

    def backup_load(self, name: str, user: SimUser | None = None) -> None:
        with self._lock:
            self._require(user, "policy")
            row = next((f for f in self.state.rows("/file") if f.get("name") == name and "_snapshot" in f), None)
            if row is None:
                raise RouterOSError("failure: no such backup file", "failure")
            files = [dict(f) for f in self.state.rows("/file")]
            self._state = DeviceState.from_json(json.loads(row["_snapshot"]))
            self._state.tables["/file"] = files
            self._changed()
        self.reboot(user, reason="restore")

    def run_script(self, spec: str, user: SimUser | None = None) -> str:
        with self._lock:
            menu = self._menu("/system/script")
            (_, row), *_ = self.resolve_items(menu, spec)
            row["_runs"] = row.get("_runs", 0) + 1
            source = row.get("source", "")
        return self.run_source(source, user)

    def run_source(self, source: str, user: SimUser | None = None) -> str:
        """Run RouterOS script text (scheduler on-event, script run, import)."""
        from .cli import Interpreter

        result = Interpreter(self, user).run(source)
        if result.error is not None:
            raise result.error
        return result.output

    def import_file(self, name: str, user: SimUser | None = None) -> str:
        with self._lock:
            row = next((f for f in self.state.rows("/file") if f.get("name") == name), None)
            if row is None:
                raise RouterOSError("failure: no such file", "failure")
            source = row.get("contents", "")
        from .cli import Interpreter

        result = Interpreter(self, user).run(source)
        if result.error is not None:
            raise result.error
        return result.output + ("\nScript file loaded and executed successfully" if self.major == 7 else "")

    def files_bytes(self) -> int:
        if self._state is None:
            return 0
        return sum(len(f.get("contents", "")) + int(f.get("_size", 0)) for f in self._state.tables.get("/file", ()))

    # ------------------------------------------------------------------ CLI & export
    def cli(self, text: str, user: SimUser | None = None) -> str:
        """Run CLI text (one or many lines); returns the terminal output, errors included."""
        return self.cli_result(text, user).text

    def cli_result(self, text: str, user: SimUser | None = None) -> Any:
        from .cli import Interpreter

        return Interpreter(self, user).run(text)

    def export(
        self,
        show_sensitive: bool | None = None,
        terse: bool = False,
        compact: bool = False,
        path: str | None = None,
        user: SimUser | None = None,
    ) -> str:
        from .export import render_export

        with self._lock:
            if show_sensitive is None:
                show_sensitive = self.major == 6
            if user is not None and not user.can("sensitive"):
                show_sensitive = False
            return render_export(self, show_sensitive=show_sensitive, terse=terse, path=path)

    # ------------------------------------------------------------------ SNMP
    def snmp_view(self) -> dict[str, Any]:
        """Everything the SNMP agent serves, as plain Python values."""
        with self._lock:
            now = self.now()
            snmp = self.state.singles.get("/snmp", {})
            ifaces = []
            for row in views.interface_rows(self, now):
                speed = 1_000_000_000 if row["type"] == "ether" else 0
                if row["type"] == "ether" and "sfp" in row["name"]:
                    speed = 10_000_000_000
                ifaces.append(
                    {
                        "index": int(row[".id"][1:], 16),
                        "name": row["name"],
                        "type": row["type"],
                        "mtu": int(row["actual-mtu"]),
                        "mac": row.get("mac-address", ""),
                        "speed": speed,
                        "admin_up": row["disabled"] == "false",
                        "oper_up": row["running"] == "true",
                        "in_octets": int(row["rx-byte"]),
                        "out_octets": int(row["tx-byte"]),
                        "in_packets": int(row["rx-packet"]),
                        "out_packets": int(row["tx-packet"]),
                        "comment": row.get("comment", ""),
                    }
                )
            free_hdd, total_hdd = views.disk(self)
            free_mem, total_mem = views.memory(self, now)
            health = views.health_values(self, now)
            communities = [
                {
                    "name": r.get("name", ""),
                    "read": r.get("read-access", "yes") == "yes",
                    "disabled": r.get("disabled") == "yes",
                }
                for r in self.state.rows("/snmp/community")
            ]
            return {
                "sysDescr": f"RouterOS {self.hw.board.model}",
                "sysObjectID": "1.3.6.1.4.1.14988.1",
                "sysUpTime": int(self.uptime(now) * 100),
                "sysName": self.identity,
                "sysContact": snmp.get("contact", ""),
                "sysLocation": snmp.get("location", ""),
                "communities": communities,
                "interfaces": ifaces,
                "cpu_load": views.cpu_load(self, now),
                "cpu_count": self.hw.board.cpu_count,
                "storage": [
                    {"name": "main memory", "size_kb": total_mem // 1024, "used_kb": (total_mem - free_mem) // 1024},
                    {"name": "system disk", "size_kb": total_hdd // 1024, "used_kb": (total_hdd - free_hdd) // 1024},
                ],
                "health": {
                    "temperature": float(health["temperature"]) if "temperature" in health else None,
                    "voltage": float(health["voltage"]) if "voltage" in health else None,
                },
                "firmware": self.current_firmware,
                "upgrade_firmware": self.version,
                "software_version": self.version,
                "serial": self.hw.serial,
                "board": self.hw.board.board_name,
                "model": self.hw.board.model,
                "license_level": self.hw.board.license_level,
                "wireless": [
                    {
                        "interface": c["interface"],
                        "mac": c["mac"],
                        "signal": c["signal"],
                        "tx_rate_bps": c["tx_rate_mbps"] * 1_000_000,
                        "rx_rate_bps": c["rx_rate_mbps"] * 1_000_000,
                        "uptime_s": c["uptime_s"],
                        "rx_bytes": c["rx_bytes"],
                        "tx_bytes": c["tx_bytes"],
                    }
                    for c in views.registrations(self, now)
                ],
            }


def _port_in(port: int, spec: str) -> bool:
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            if lo.isdigit() and hi.isdigit() and int(lo) <= port <= int(hi):
                return True
        elif part.isdigit() and int(part) == port:
            return True
    return False


def _file_type(row: Row) -> str:
    name = row.get("name", "")
    if name.endswith(".backup"):
        return "backup"
    if name.endswith(".rsc"):
        return "script"
    if "." in name:
        return f".{name.rsplit('.', 1)[1]} file"
    return "file"
