"""`/export` in RouterOS format, and the value quoting the CLI parser reverses.

Export prints only what differs from factory defaults, menu by menu in RouterOS' order,
attributes sorted alphabetically, long lines wrapped with a trailing backslash like RouterOS.
An export imported on a factory-fresh device must export identically (round-trip tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import views
from .menus import Menu, canonical_path, menu_for

if TYPE_CHECKING:
    from .device import SimDevice

EXPORT_ORDER = (
    "/interface/bridge",
    "/interface/ethernet",
    "/interface/pppoe-client",
    "/interface/vlan",
    "/interface/wireless/security-profiles",
    "/interface/wireless",
    "/interface/wifi",
    "/interface/list",
    "/ip/pool",
    "/ip/dhcp-server",
    "/ppp/profile",
    "/snmp/community",
    "/interface/bridge/port",
    "/interface/list/member",
    "/ip/address",
    "/ip/dhcp-server/lease",
    "/ip/dhcp-server/network",
    "/ip/dns",
    "/ip/firewall/address-list",
    "/ip/firewall/filter",
    "/ip/firewall/nat",
    "/ip/hotspot/profile",
    "/ip/hotspot/user",
    "/ip/route",
    "/ip/service",
    "/ppp/aaa",
    "/ppp/secret",
    "/radius",
    "/radius/incoming",
    "/snmp",
    "/system/clock",
    "/system/identity",
    "/system/ntp/client",
    "/system/scheduler",
    "/system/script",
    "/user/group",
)

SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/,*+@!%^~")
ESCAPES = {'"': '\\"', "\\": "\\\\", "$": "\\$", "?": "\\?", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
WRAP = 79


def quote(value: str) -> str:
    """RouterOS value spelling: bare when safe, else double-quoted with escapes."""
    if value and all(ch in SAFE for ch in value):
        return value
    out = []
    for ch in value:
        if ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0x100:
            out.append(f"\\{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def wrap(tokens: list[str]) -> list[str]:
    """Join tokens into lines of at most ~80 columns with RouterOS continuation."""
    lines: list[str] = []
    current = tokens[0]
    for token in tokens[1:]:
        if len(current) + 1 + len(token) > WRAP - 2 and current.strip():
            lines.append(current + " \\")
            current = "    " + token
        else:
            current += " " + token
    lines.append(current)
    return lines


def _args(menu: Menu, row: dict, base: dict, show_sensitive: bool) -> list[str]:
    out = []
    for f in sorted(menu.fields, key=lambda f: f.name):
        if f.readonly or f.writeonly or (f.sensitive and not show_sensitive):
            continue
        value = row.get(f.name, f.default)
        default = base.get(f.name, f.default)
        if value is None or value == default:
            continue
        out.append(f"{f.name}={quote(value)}")
    return out


def _selector(menu: Menu, row: dict) -> str:
    if menu.selector == "default-name":
        return f"[ find default-name={quote(row.get('default-name', ''))} ]"
    if menu.selector == "name":
        return quote(row.get("name", ""))
    return f"[ find name={quote(row['_fx'].get('name', row.get('name', '')))} ]"


def menu_lines(device: SimDevice, menu: Menu, show_sensitive: bool) -> list[list[str]]:
    """The commands (as token lists) that recreate this menu's config from factory state."""
    state = device.state
    if menu.kind == "single":
        args = _args(menu, state.singles.get(menu.path, {}), {}, show_sensitive)
        return [["set", *args]] if args else []
    out: list[list[str]] = []
    for row in state.tables.get(menu.path, ()):
        if row.get("_dyn"):
            continue
        if "_fx" in row:
            args = _args(menu, row, row["_fx"], show_sensitive)
            if args:
                out.append(["set", _selector(menu, row), *args])
        else:
            out.append(["add", *_args(menu, row, {}, show_sensitive)])
    return out


def header(device: SimDevice) -> list[str]:
    stamp = views.datetime_text(device.now(), device.major, device.minor)
    return [
        f"# {stamp} by RouterOS {device.version}",
        f"# software id = {device.hw.software_id}",
        "#",
        f"# model = {device.hw.board.model}",
        f"# serial number = {device.hw.serial}",
    ]


def render_export(device: SimDevice, show_sensitive: bool, terse: bool = False, path: str | None = None) -> str:
    prefix = canonical_path(path) if path else "/"
    lines = header(device)
    for menu_path in EXPORT_ORDER:
        if prefix != "/" and not (menu_path == prefix or menu_path.startswith(prefix + "/")):
            continue
        menu = menu_for(menu_path, device.major)
        if menu is None or not menu.export:
            continue
        commands = menu_lines(device, menu, show_sensitive)
        if not commands:
            continue
        if terse:
            lines.extend(" ".join([menu.cli_path, *cmd]) for cmd in commands)
        else:
            lines.append(menu.cli_path)
            for cmd in commands:
                lines.extend(wrap(cmd))
    return "\n".join(lines) + "\n"


def strip_volatile(text: str) -> str:
    """Drop the dated first line (it changes on every export) before comparing exports."""
    return "\n".join(line for line in text.splitlines() if not (line.startswith("# ") and " by RouterOS " in line))
