"""Menu commands beyond add/set/remove/print: `(path, command) -> handler(device, attrs, user)`.

Shared by every frontend through `SimDevice.execute` (API `/system/reboot`, REST POST,
CLI `/system package update install`, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import views
from .errors import RouterOSError

if TYPE_CHECKING:
    from .device import SimDevice, SimUser

Attrs = dict[str, str]
Rows = list[dict[str, str]]


def _cmd_reboot(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    dev.reboot(user)
    return []


def _cmd_reset(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    keep = attrs.get("keep-users", "no") in ("yes", "true", "")
    dev.reset_and_run(keep, attrs.get("run-after-reset") or None, user)
    return []


def _cmd_check(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    return [dev.check_for_updates(user)]


def _cmd_download(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    with dev._lock:
        dev.check_for_updates(user)
        if dev.update_status == "New version is available":
            dev.update_status = "Downloaded, please reboot router to upgrade it"
            dev.pending_version = dev.latest_seen
        return [dev._update_row()]


def _cmd_install(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    dev.install_update(user)
    return []


def _cmd_save(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    password = "" if attrs.get("dont-encrypt") in ("yes", "true") else attrs.get("password", "")
    dev.backup_save(attrs.get("name", ""), user, password=password)
    return []


def _cmd_load(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    dev.backup_load(attrs.get("name", ""), user)
    return []


def _cmd_run(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    spec = attrs.get(".id") or attrs.get("number") or attrs.get("numbers") or ""
    out = dev.run_script(spec, user)
    return [{"ret": out}] if out else []


def _cmd_import(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    name = attrs.get("file-name") or attrs.get("file") or ""
    out = dev.import_file(name, user)
    return [{"ret": out}] if out else []


def _cmd_export(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    show = None
    if "show-sensitive" in attrs:
        show = True
    if "hide-sensitive" in attrs:
        show = False
    return [{"ret": dev.export(show_sensitive=show, terse="terse" in attrs, user=user)}]


def _cmd_fw_upgrade(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    with dev._lock:
        dev._require(user, "reboot")
        dev.current_firmware = dev.version
        dev.log("system,info", "firmware upgraded successfully, please reboot for changes to take effect!")
    return []


def _cmd_monitor(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    with dev._lock:
        dev._require(user, "read")
        names = (attrs.get("interface") or attrs.get("numbers") or "").split(",")
        return [views.monitor_traffic(dev, n, dev.now()) for n in names if n]


def _cmd_key_import(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    with dev._lock:
        fname = attrs.get("public-key-file", "")
        row = next((f for f in dev.state.rows("/file") if f.get("name") == fname), None)
        if row is None:
            raise RouterOSError("failure: no such file", "failure")
        dev.add("/user/ssh-keys", {"user": attrs.get("user", ""), "key": row.get("contents", "").strip()}, user)
        dev.state.rows("/file").remove(row)  # RouterOS deletes the imported key file
    return []


def _mover(path: str) -> Callable[[SimDevice, Attrs, SimUser | None], Rows]:
    """`move numbers=A destination=B`: put A before B (or at the end without destination)."""

    def move(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
        with dev._lock:
            menu = dev._menu(path)
            dev._check_writable(menu, user)
            items = [row for _, row in dev.resolve_items(menu, attrs.get("numbers") or attrs.get(".id") or "")]
            rows = dev.state.rows(path)
            target = attrs.get("destination")
            dest = dev.resolve_items(menu, target)[0][1] if target else None
            for row in items:
                rows.remove(row)
            index = rows.index(dest) if dest is not None and dest in rows else len(rows)
            rows[index:index] = items
            dev._changed(menu)
        return []

    return move


def _cmd_ping(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    """Pings always answer, except TEST-NET-3 (203.0.113.0/24), which never does."""
    address = attrs.get("address") or attrs.get("numbers") or ""
    count = int(attrs.get("count", "4") or 4)
    lost = address.startswith("203.0.113.")
    rows = [
        {
            "seq": str(i),
            "host": address,
            **({"status": "timeout"} if lost else {"size": "56", "ttl": "64", "time": "1ms"}),
        }
        for i in range(count)
    ]
    received = 0 if lost else count
    rows.append({"sent": str(count), "received": str(received), "packet-loss": "100" if lost else "0"})
    return rows


def _reset_counters(dev: SimDevice, attrs: Attrs, user: SimUser | None) -> Rows:
    return []


COMMANDS: dict[tuple[str, str], Callable[[SimDevice, Attrs, SimUser | None], Rows]] = {
    ("/system", "reboot"): _cmd_reboot,
    ("/system", "shutdown"): _cmd_reboot,
    ("/system", "reset-configuration"): _cmd_reset,
    ("/system/package/update", "check-for-updates"): _cmd_check,
    ("/system/package/update", "download"): _cmd_download,
    ("/system/package/update", "install"): _cmd_install,
    ("/system/backup", "save"): _cmd_save,
    ("/system/backup", "load"): _cmd_load,
    ("/system/script", "run"): _cmd_run,
    ("/", "import"): _cmd_import,
    ("/", "export"): _cmd_export,
    ("/", "ping"): _cmd_ping,
    ("/system/routerboard", "upgrade"): _cmd_fw_upgrade,
    ("/interface", "monitor-traffic"): _cmd_monitor,
    ("/user/ssh-keys", "import"): _cmd_key_import,
    ("/ip/firewall/filter", "move"): _mover("/ip/firewall/filter"),
    ("/ip/firewall/nat", "move"): _mover("/ip/firewall/nat"),
    ("/ip/firewall/filter", "reset-counters"): _reset_counters,
    ("/ip/firewall/nat", "reset-counters"): _reset_counters,
}
