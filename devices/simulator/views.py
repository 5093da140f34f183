"""Computed, read-only menus: resources, interface counters, health, registrations.

Everything here is a pure function of the device's hardware seed, its configuration and the
simulated time, so the API, SSH, REST and SNMP frontends read identical numbers at the same
instant (counters advance once per simulated second).
"""

from __future__ import annotations

import math
import time
import zlib
from typing import TYPE_CHECKING, Any

from .catalog import BUILD_TIMES

if TYPE_CHECKING:
    from .device import SimDevice

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def uptime_text(seconds: float) -> str:
    """RouterOS API duration format: 1w2d3h4m5s (zero units left out)."""
    s = int(seconds)
    if s <= 0:
        return "0s"
    out = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size:
            out.append(f"{s // size}{unit}")
            s %= size
    return "".join(out)


def date_text(epoch: float, major: int, minor: int = 99) -> str:
    t = time.gmtime(epoch)
    if major >= 7 and minor >= 10:
        return time.strftime("%Y-%m-%d", t)
    return f"{MONTHS[t.tm_mon - 1]}/{t.tm_mday:02d}/{t.tm_year}"


def datetime_text(epoch: float, major: int, minor: int = 99) -> str:
    return f"{date_text(epoch, major, minor)} {time.strftime('%H:%M:%S', time.gmtime(epoch))}"


def _noise(dev: SimDevice, key: str, bucket: int) -> float:
    return zlib.crc32(f"{key}:{bucket}".encode(), dev.hw.salt) / 4294967296.0


# ---- interfaces -------------------------------------------------------------------------


def link_running(dev: SimDevice, iface_type: str, row: dict[str, Any]) -> bool:
    if row.get("disabled") == "yes":
        return False
    if iface_type == "ether":
        name = row.get("default-name", "")
        return name == dev.hw.board.ethernet[0] or dev.hw.hash01("link:" + name) < 0.55
    return True


def traffic_profile(dev: SimDevice, row_id: str) -> tuple[int, int, int, int]:
    """(rx bytes/s, tx bytes/s, rx bytes/packet, tx bytes/packet) of one interface, from the seed."""
    h_rx = dev.hw.hash01("rx:" + row_id)
    h_tx = dev.hw.hash01("tx:" + row_id)
    return (
        500 + int(h_rx**3 * 4_000_000),
        300 + int(h_tx**3 * 1_500_000),
        300 + int(h_rx * 1100),
        200 + int(h_tx * 900),
    )


def counters(
    dev: SimDevice, row_id: str, running: bool, uptime: int, profile: tuple[int, int, int, int] | None = None
) -> tuple[int, int, int, int]:
    """(rx-byte, tx-byte, rx-packet, tx-packet) after `uptime` seconds of traffic."""
    if not running:
        return (0, 0, 0, 0)
    rx_rate, tx_rate, rx_size, tx_size = profile or traffic_profile(dev, row_id)
    rx, tx = rx_rate * uptime, tx_rate * uptime
    return (rx, tx, rx // rx_size, tx // tx_size)


IFACE_CACHE_DEVICES = 2048
_IFACE_CACHE: dict[Any, tuple[int, list[Any]]] = {}


def _interface_static(dev: SimDevice) -> list[tuple[str, bool, dict[str, str], dict[str, str], Any]]:
    """Per interface: (.id, running, fields before the counters, fields after), cached per generation."""
    cached = _IFACE_CACHE.get(dev)
    if cached is not None and cached[0] == dev.generation:
        return cached[1]
    bridge_ports = {r.get("interface") for r in dev.state.tables.get("/interface/bridge/port", ())}
    link_up = datetime_text(dev.boot_time + 5, dev.major, dev.minor)
    out = []
    for menu, row in dev.state.interface_rows():
        itype = menu.iface_type or "ether"
        running = link_running(dev, itype, row)
        mtu = row.get("mtu", "1500")
        head = {".id": row[".id"], "name": row.get("name", "")}
        if "default-name" in row:
            head["default-name"] = row["default-name"]
        head["type"] = itype
        head["mtu"] = mtu
        head["actual-mtu"] = "1500" if mtu == "auto" else mtu
        if itype in ("ether", "wlan", "wifi", "bridge"):
            head["l2mtu"] = row.get("l2mtu", "1592" if itype == "ether" else "1600")
        if itype != "pppoe-out":
            head["mac-address"] = row.get("mac-address") or dev.hw.mac(0x20 + int(row[".id"][1:], 16))
        if running:
            head["last-link-up-time"] = link_up
        head["link-downs"] = "0"
        tail = {
            "running": "true" if running else "false",
            "slave": "true" if row.get("name") in bridge_ports else "false",
            "disabled": "true" if row.get("disabled") == "yes" else "false",
        }
        if row.get("comment"):
            tail["comment"] = row["comment"]
        out.append((row[".id"], running, head, tail, traffic_profile(dev, row[".id"])))
    if len(_IFACE_CACHE) >= IFACE_CACHE_DEVICES:
        _IFACE_CACHE.clear()  # bounded: memory stays flat however many devices get polled
    _IFACE_CACHE[dev] = (dev.generation, out)
    return out


def interface_rows(dev: SimDevice, now: float) -> list[dict[str, str]]:
    """`/interface print`: static fields (cached) around counters computed for this second."""
    uptime = int(dev.uptime(now))
    out = []
    for row_id, running, head, tail, profile in _interface_static(dev):
        rx, tx, rxp, txp = counters(dev, row_id, running, uptime, profile)
        item = dict(head)
        item["rx-byte"] = srx = str(rx)
        item["tx-byte"] = str(tx)
        item["rx-packet"] = srxp = str(rxp)
        item["tx-packet"] = str(txp)
        item.update(_ZERO_ERRORS)
        item["fp-rx-byte"] = srx
        item["fp-tx-byte"] = "0"
        item["fp-rx-packet"] = srxp
        item["fp-tx-packet"] = "0"
        item.update(tail)
        out.append(item)
    return out


_ZERO_ERRORS = {"rx-drop": "0", "tx-drop": "0", "tx-queue-drop": "0", "rx-error": "0", "tx-error": "0"}


def monitor_traffic(dev: SimDevice, name: str, now: float) -> dict[str, str]:
    for menu, row in dev.state.interface_rows():
        if row.get("name") == name:
            running = link_running(dev, menu.iface_type or "ether", row)
            up = int(dev.uptime(now))
            a = counters(dev, row[".id"], running, up)
            b = counters(dev, row[".id"], running, up + 1)
            return {
                "name": name,
                "rx-packets-per-second": str(b[2] - a[2]),
                "rx-bits-per-second": str((b[0] - a[0]) * 8),
                "fp-rx-packets-per-second": str(b[2] - a[2]),
                "fp-rx-bits-per-second": str((b[0] - a[0]) * 8),
                "rx-drops-per-second": "0",
                "rx-errors-per-second": "0",
                "tx-packets-per-second": str(b[3] - a[3]),
                "tx-bits-per-second": str((b[1] - a[1]) * 8),
                "fp-tx-packets-per-second": "0",
                "fp-tx-bits-per-second": "0",
                "tx-drops-per-second": "0",
                "tx-queue-drops-per-second": "0",
                "tx-errors-per-second": "0",
            }
    from .errors import RouterOSError

    raise RouterOSError("no such item", "not-found")


# ---- system ------------------------------------------------------------------------------


def cpu_load(dev: SimDevice, now: float) -> int:
    base = 3 + dev.hw.hash01("cpu") * 35
    wave = 15 * math.sin(2 * math.pi * (now / 900.0 + dev.hw.hash01("cpu-phase")))
    noise = (_noise(dev, "cpu", int(now // 5)) - 0.5) * 16
    return max(0, min(100, int(base + wave + noise)))


def memory(dev: SimDevice, now: float) -> tuple[int, int]:
    total = dev.hw.board.memory_mb * 1024 * 1024
    used = 0.3 + 0.3 * dev.hw.hash01("mem") + 0.03 * math.sin(now / 700.0)
    return total - int(total * used), total


def disk(dev: SimDevice) -> tuple[int, int]:
    total = dev.hw.board.disk_mb * 1024 * 1024
    used = int(total * (0.25 + 0.3 * dev.hw.hash01("disk"))) + dev.files_bytes()
    if dev.fault is not None and dev.fault.kind == "disk-full":
        used = total - 4096
    return max(0, total - used), total


def version_label(dev: SimDevice) -> str:
    channel = "long-term" if dev.major == 6 else "stable"
    return f"{dev.version} ({channel})"


def resource_row(dev: SimDevice, now: float) -> dict[str, str]:
    free_mem, total_mem = memory(dev, now)
    free_hdd, total_hdd = disk(dev)
    b = dev.hw.board
    build = BUILD_TIMES.get(dev.version, "2025-01-01 00:00:00")
    if dev.major == 6:
        t = time.strptime(build, "%Y-%m-%d %H:%M:%S")
        build = f"{MONTHS[t.tm_mon - 1].capitalize()}/{t.tm_mday:02d}/{t.tm_year} {build[11:]}"
    up = int(dev.uptime(now))
    return {
        "uptime": uptime_text(up),
        "version": version_label(dev),
        "build-time": build,
        "factory-software": dev.hw.current_firmware if dev.major == 6 else "7.5",
        "free-memory": str(free_mem),
        "total-memory": str(total_mem),
        "cpu": b.cpu,
        "cpu-count": str(b.cpu_count),
        "cpu-frequency": str(b.cpu_mhz),
        "cpu-load": str(cpu_load(dev, now)),
        "free-hdd-space": str(free_hdd),
        "total-hdd-space": str(total_hdd),
        "write-sect-since-reboot": str(up // 7),
        "write-sect-total": str(int(dev.hw.initial_uptime) // 5 + up // 7),
        "bad-blocks": "0",
        "architecture-name": b.architecture,
        "board-name": b.board_name,
        "platform": "MikroTik",
    }


def routerboard_row(dev: SimDevice) -> dict[str, str]:
    b = dev.hw.board
    return {
        "routerboard": "true",
        "board-name": b.board_name,
        "model": b.model,
        "serial-number": dev.hw.serial,
        "firmware-type": b.firmware_type,
        "factory-firmware": dev.hw.current_firmware if dev.major == 6 else "7.5",
        "current-firmware": dev.current_firmware,
        "upgrade-firmware": dev.version,
    }


def health_values(dev: SimDevice, now: float) -> dict[str, str]:
    b = dev.hw.board
    out = {}
    if b.has_voltage:
        out["voltage"] = f"{23.5 + dev.hw.hash01('volt') * 1.5 + 0.1 * math.sin(now / 300):.1f}"
    if b.has_temperature:
        out["temperature"] = str(int(38 + dev.hw.hash01("temp") * 18 + 3 * math.sin(now / 1800)))
    return out


def health_rows(dev: SimDevice, now: float) -> list[dict[str, str]]:
    values = health_values(dev, now)
    if dev.major == 6:
        return [values]
    units = {"voltage": "V", "temperature": "C"}
    return [{".id": f"*{i + 1:X}", "name": k, "value": v, "type": units[k]} for i, (k, v) in enumerate(values.items())]


def license_row(dev: SimDevice) -> dict[str, str]:
    if dev.major == 6:
        return {"software-id": dev.hw.software_id, "nlevel": str(dev.hw.board.license_level), "features": ""}
    return {"software-id": dev.hw.software_id, "level": str(dev.hw.board.license_level), "features": ""}


def package_rows(dev: SimDevice) -> list[dict[str, str]]:
    build = BUILD_TIMES.get(dev.version, "2025-01-01 00:00:00")
    if dev.major == 6:
        names = [
            f"routeros-{dev.hw.board.architecture}",
            "system",
            "ipv6",
            "dhcp",
            "hotspot",
            "ppp",
            "routing",
            "security",
            "mpls",
        ]
        if dev.hw.board.wireless:
            names.insert(3, "wireless")
    else:
        names = ["routeros"]
        if dev.hw.board.wireless == "wifi":
            names.append("wifi-qcom")
        elif dev.hw.board.wireless == "wireless":
            names.append("wireless")
    return [
        {
            ".id": f"*{i + 1:X}",
            "name": n,
            "version": dev.version,
            "build-time": build,
            "scheduled": "",
            "disabled": "false",
        }
        for i, n in enumerate(names)
    ]


# ---- clients -----------------------------------------------------------------------------


def _radio_rows(dev: SimDevice) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for menu, row in dev.state.interface_rows():
        if menu.iface_type in ("wlan", "wifi") and row.get("disabled") != "yes":
            out.append((menu.iface_type, row))
    return out


def registrations(dev: SimDevice, now: float) -> list[dict[str, Any]]:
    """Wireless clients as neutral dicts (interface, mac, signal, rates, uptime, bytes)."""
    up = dev.uptime(now)
    clients = []
    for itype, row in _radio_rows(dev):
        name = row.get("name", "")
        count = int(dev.hw.hash01("wl:" + row[".id"]) * 9)
        for k in range(count):
            key = f"{row['.id']}:{k}"
            h = dev.hw.hash01("cl:" + key)
            mac_int = zlib.crc32(key.encode(), dev.hw.salt) << 16 | k
            mac = ":".join(f"{(mac_int >> s) & 0xFF:02X}" for s in range(40, -8, -8))
            mac = f"{int(mac[:2], 16) & 0xFE:02X}" + mac[2:]  # a unicast address (multicast bit clear)
            client_up = int(up * (0.2 + 0.8 * dev.hw.hash01("cu:" + key)))
            jitter = int((_noise(dev, "sig" + key, int(now // 10)) - 0.5) * 6)
            signal = -45 - int(h * 40) + jitter
            rate = int((1 - h) * (1200 if itype == "wifi" else 300)) + 6
            rx_b = client_up * (100 + int(h * 50000))
            tx_b = client_up * (300 + int(h * 200000))
            clients.append(
                {
                    "interface": name,
                    "type": itype,
                    "mac": mac,
                    "signal": signal,
                    "tx_rate_mbps": rate,
                    "rx_rate_mbps": max(6, rate - 20),
                    "uptime_s": client_up,
                    "rx_bytes": rx_b,
                    "tx_bytes": tx_b,
                    "ssid": row.get("ssid") or row.get("configuration.ssid", ""),
                }
            )
    return clients


def registration_rows(dev: SimDevice, now: float, kind: str) -> list[dict[str, str]]:
    out = []
    for i, c in enumerate(c for c in registrations(dev, now) if c["type"] == kind):
        packets = f"{c['rx_bytes'] // 700},{c['tx_bytes'] // 900}"
        bytes_ = f"{c['rx_bytes']},{c['tx_bytes']}"
        if kind == "wifi":
            out.append(
                {
                    ".id": f"*{i + 1:X}",
                    "interface": c["interface"],
                    "ssid": c["ssid"],
                    "mac-address": c["mac"],
                    "uptime": uptime_text(c["uptime_s"]),
                    "last-activity": "10ms",
                    "signal": str(c["signal"]),
                    "auth-type": "WPA2-PSK",
                    "band": "5ghz-ax" if c["interface"].endswith("1") else "2ghz-ax",
                    "tx-rate": f"{c['tx_rate_mbps']}Mbps",
                    "rx-rate": f"{c['rx_rate_mbps']}Mbps",
                    "packets": packets,
                    "bytes": bytes_,
                    "tx-bits-per-second": "0",
                    "rx-bits-per-second": "0",
                }
            )
        else:
            out.append(
                {
                    ".id": f"*{i + 1:X}",
                    "interface": c["interface"],
                    "mac-address": c["mac"],
                    "ap": "false",
                    "wds": "false",
                    "bridge": "false",
                    "rx-rate": f"{c['rx_rate_mbps']}Mbps-20MHz/2S/SGI",
                    "tx-rate": f"{c['tx_rate_mbps']}Mbps-20MHz/2S/SGI",
                    "packets": packets,
                    "bytes": bytes_,
                    "frames": packets,
                    "uptime": uptime_text(c["uptime_s"]),
                    "last-activity": "10ms",
                    "signal-strength": f"{c['signal']}@6Mbps",
                    "signal-to-noise": str(c["signal"] + 104),
                    "signal-strength-ch0": str(c["signal"] - 2),
                    "tx-ccq": str(60 + int(-c["signal"]) % 40),
                    "authentication-type": "wpa2-psk",
                    "encryption": "aes-ccm",
                }
            )
    return out


def ppp_active_rows(dev: SimDevice, now: float) -> list[dict[str, str]]:
    up = dev.uptime(now)
    out = []
    for row in dev.state.tables.get("/ppp/secret", ()):
        if row.get("disabled") == "yes" or dev.hw.hash01("ppp:" + row[".id"]) < 0.3:
            continue
        out.append(
            {
                ".id": f"*{len(out) + 0x80000001:X}",
                "name": row.get("name", ""),
                "service": row.get("service", "pppoe"),
                "caller-id": dev.hw.mac(0x80 + len(out)),
                "address": row.get("remote-address", "10.200.0.2"),
                "uptime": uptime_text(up * dev.hw.hash01("pu:" + row[".id"])),
                "encoding": "",
                "session-id": f"0x{0x81000000 + len(out):X}",
                "limit-bytes-in": "0",
                "limit-bytes-out": "0",
                "radius": "false",
            }
        )
    if dev.nas is not None:
        out += dev.nas.active_rows("ppp", 0x80000001 + len(out))
    return out


def hotspot_active_rows(dev: SimDevice, now: float) -> list[dict[str, str]]:
    up = dev.uptime(now)
    out = []
    for i, row in enumerate(dev.state.tables.get("/ip/hotspot/user", ())):
        if row.get("disabled") == "yes" or dev.hw.hash01("hs:" + row[".id"]) < 0.4:
            continue
        secs = int(up * dev.hw.hash01("hu:" + row[".id"]) * 0.1)
        out.append(
            {
                ".id": f"*{len(out) + 1:X}",
                "server": "hotspot1",
                "user": row.get("name", ""),
                "address": f"10.5.50.{10 + i}",
                "mac-address": dev.hw.mac(0xA0 + i),
                "login-by": "http-chap",
                "uptime": uptime_text(secs),
                "idle-time": "0s",
                "bytes-in": str(secs * 2000),
                "bytes-out": str(secs * 9000),
                "packets-in": str(secs * 5),
                "packets-out": str(secs * 8),
                "radius": "false",
            }
        )
    if dev.nas is not None:
        out += dev.nas.active_rows("hotspot", len(out) + 1)
    return out
