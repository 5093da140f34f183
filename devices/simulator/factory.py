"""Factory-fresh state and the seeded configuration each simulated device carries.

`factory_state` is what a device looks like after a reset (hardware rows, built-in users,
services); `seeded_config` is a deterministic list of operations that turns it into a
realistic, lived-in router.  Both are applied through the same code paths as user edits.
"""

from __future__ import annotations

import math
import random
from typing import NamedTuple

from .hardware import Hardware
from .menus import FULL_POLICY, MENUS, POLICY_ALL6, POLICY_ALL7, READ_POLICY, WRITE_POLICY
from .state import DeviceState

SERVICES = (
    ("telnet", "23"),
    ("ftp", "21"),
    ("www", "80"),
    ("ssh", "22"),
    ("www-ssl", "443"),
    ("api", "8728"),
    ("winbox", "8291"),
    ("api-ssl", "8729"),
)


class Op(NamedTuple):
    """One configuration change: add a row, or set a row picked by selector (field, value).

    `attrs` dicts may be shared between devices (constant parts of the seeded config):
    treat them as read-only.
    """

    path: str
    action: str  # "add" | "set"
    attrs: dict[str, str]
    selector: tuple[str, str] | None = None


# Factory templates ("_fx") are immutable and shared by every device with the same values.
_TEMPLATES: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, str]] = {}


def _fixed(state: DeviceState, path: str, rows: list[dict[str, str]]) -> None:
    menu = MENUS[path]
    table = state.rows(path)
    for values in rows:
        row = {".id": state.new_id(menu), **values}
        settable = tuple((k, v) for k, v in values.items() if k in menu.fmap and not menu.fmap[k].readonly)
        template = _TEMPLATES.get((path, settable))
        if template is None:
            template = _TEMPLATES[(path, settable)] = dict(settable)
        row["_fx"] = template
        table.append(row)


BASE_FILTERS: tuple[dict[str, str], ...] = (
    {
        "chain": "input",
        "action": "accept",
        "connection-state": "established,related,untracked",
        "comment": "accept established,related,untracked",
    },
    {"chain": "input", "action": "drop", "connection-state": "invalid", "comment": "drop invalid"},
    {"chain": "input", "action": "accept", "protocol": "icmp", "comment": "accept ICMP"},
    {"chain": "input", "action": "accept", "src-address-list": "mgmt", "comment": "management"},
    {"chain": "input", "action": "drop", "in-interface-list": "!LAN", "comment": "drop all not coming from LAN"},
    {"chain": "forward", "action": "accept", "connection-state": "established,related,untracked"},
    {"chain": "forward", "action": "drop", "connection-state": "invalid"},
    {"chain": "forward", "action": "drop", "src-address-list": "blocked", "log": "yes", "log-prefix": "blocked"},
)


def factory_state(hw: Hardware, major: int, admin_user: str, admin_password: str) -> DeviceState:
    """A device as it leaves `/system reset-configuration no-defaults=yes`."""
    state = DeviceState()
    board = hw.board
    _fixed(
        state,
        "/interface/ethernet",
        [
            {"name": n, "default-name": n, "mac-address": mac, "orig-mac-address": mac}
            for i, n in enumerate(board.ethernet)
            for mac in (hw.mac(i),)
        ],
    )
    offset = len(board.ethernet)
    if board.wireless == "wireless" or (board.wireless == "wifi" and major == 6):
        _fixed(
            state,
            "/interface/wireless",
            [
                {
                    "name": f"wlan{r + 1}",
                    "default-name": f"wlan{r + 1}",
                    "band": "2ghz-b/g/n" if r == 0 else "5ghz-a/n/ac",
                    "disabled": "yes",
                    "mac-address": hw.mac(offset + r),
                }
                for r in range(board.radios)
            ],
        )
        _fixed(state, "/interface/wireless/security-profiles", [{"name": "default"}])
    elif board.wireless == "wifi":
        _fixed(
            state,
            "/interface/wifi",
            [
                {
                    "name": f"wifi{r + 1}",
                    "default-name": f"wifi{r + 1}",
                    "disabled": "yes",
                    "mac-address": hw.mac(offset + r),
                }
                for r in range(board.radios)
            ],
        )
    _fixed(state, "/ppp/profile", [{"name": "default"}, {"name": "default-encryption", "use-encryption": "yes"}])
    _fixed(
        state,
        "/ip/service",
        [
            {
                "name": name,
                "port": port,
                **({"disabled": "yes"} if name == "www-ssl" else {}),
                **({"certificate": "none"} if name in ("www-ssl", "api-ssl") else {}),
            }
            for name, port in SERVICES
        ],
    )
    _fixed(state, "/snmp/community", [{"name": "public"}])
    _fixed(state, "/ip/hotspot/profile", [{"name": "default"}])
    _fixed(
        state,
        "/user/group",
        [
            {"name": "read", "policy": READ_POLICY[major]},
            {"name": "write", "policy": WRITE_POLICY[major]},
            {"name": "full", "policy": FULL_POLICY[major]},
        ],
    )
    users = state.rows("/user")
    users.append(
        {
            ".id": state.new_id(MENUS["/user"]),
            "name": admin_user,
            "group": "full",
            "password": admin_password,
            "comment": "system default user",
        }
    )
    return state


_SECRET_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SECRET_TABLE = bytes(ord(_SECRET_ALPHABET[b % len(_SECRET_ALPHABET)]) for b in range(256))


def _secret(rng: random.Random, n: int = 12) -> str:
    return rng.randbytes(n).translate(_SECRET_TABLE).decode()


def _mac(rng: random.Random) -> str:
    value = rng.getrandbits(48) & ~(1 << 40)  # unicast
    text = f"{value:012X}"
    return ":".join(text[i : i + 2] for i in range(0, 12, 2))


def seeded_config(hw: Hardware, major: int, seed: int, monitor_user: str, monitor_password: str) -> list[Op]:
    """The deterministic configuration of device `hw.index` in fleet `seed`."""
    rng = random.Random(seed * 31 + hw.index * 7 + 17)
    board = hw.board
    ops: list[Op] = [Op("/system/identity", "set", {"name": hw.identity})]
    eth = list(board.ethernet)
    wan = eth[0]
    if rng.random() < 0.3:
        ops.append(Op("/interface/ethernet", "set", {"name": f"{wan}-wan", "comment": "uplink"}, ("default-name", wan)))
        wan = f"{wan}-wan"
    else:
        ops.append(Op("/interface/ethernet", "set", {"comment": "WAN"}, ("default-name", wan)))
    lan = eth[1] if len(eth) > 1 else wan
    if len(eth) >= 3:
        ops.append(Op("/interface/bridge", "add", {"name": "bridge", "comment": "LAN"}))
        for port in eth[1:9]:
            ops.append(Op("/interface/bridge/port", "add", {"bridge": "bridge", "interface": port}))
        lan = "bridge"
    if rng.random() < 0.25:
        ops.append(Op("/interface/ethernet", "set", {"mtu": "9000", "l2mtu": "9216"}, ("default-name", eth[-1])))
    uplink = wan
    if rng.random() < 0.2:
        ops.append(
            Op(
                "/interface/pppoe-client",
                "add",
                {
                    "name": "pppoe-out1",
                    "interface": wan,
                    "user": f"cust{hw.index}@isp.example",
                    "password": _secret(rng),
                    "add-default-route": "yes",
                    "use-peer-dns": "yes",
                },
            )
        )
        uplink = "pppoe-out1"
    ops.append(Op("/interface/list", "add", {"name": "WAN"}))
    ops.append(Op("/interface/list", "add", {"name": "LAN"}))
    ops.append(Op("/interface/list/member", "add", {"list": "WAN", "interface": uplink}))
    ops.append(Op("/interface/list/member", "add", {"list": "LAN", "interface": lan}))
    octet = rng.randint(1, 254)
    lan_net = f"192.168.{octet}"
    ops.append(
        Op(
            "/ip/address",
            "add",
            {"address": f"{lan_net}.1/24", "interface": lan, "network": f"{lan_net}.0", "comment": "LAN gateway"},
        )
    )
    wan_prefix = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
    wan_base = rng.randrange(0, 256, 4)
    wan_net = f"{wan_prefix}.{wan_base}"
    wan_host, wan_gw = f"{wan_prefix}.{wan_base + 2}", f"{wan_prefix}.{wan_base + 1}"
    if uplink == wan:
        ops.append(
            Op(
                "/ip/address",
                "add",
                {"address": f"{wan_host}/30", "interface": wan, "network": wan_net},
            )
        )
    if rng.random() < 0.3:
        vid = rng.choice((10, 20, 100, 200))
        ops.append(Op("/interface/vlan", "add", {"name": f"vlan{vid}", "vlan-id": str(vid), "interface": lan}))
        ops.append(
            Op(
                "/ip/address",
                "add",
                {"address": f"10.{vid}.{octet}.1/24", "interface": f"vlan{vid}", "network": f"10.{vid}.{octet}.0"},
            )
        )
    ops.append(Op("/ip/pool", "add", {"name": "dhcp_pool0", "ranges": f"{lan_net}.10-{lan_net}.254"}))
    ops.append(Op("/ip/dhcp-server", "add", {"name": "dhcp1", "interface": lan, "address-pool": "dhcp_pool0"}))
    ops.append(
        Op(
            "/ip/dhcp-server/network",
            "add",
            {"address": f"{lan_net}.0/24", "gateway": f"{lan_net}.1", "dns-server": f"{lan_net}.1"},
        )
    )
    for k in range(rng.randint(0, 3)):
        ops.append(
            Op(
                "/ip/dhcp-server/lease",
                "add",
                {
                    "address": f"{lan_net}.{20 + k}",
                    "mac-address": _mac(rng),
                    "server": "dhcp1",
                    "comment": rng.choice(("printer", "NAS", "camera 1", 'door "east"', "VoIP phone")),
                },
            )
        )
    for k in range(rng.randint(1, 6)):
        ops.append(
            Op(
                "/ip/dhcp-server/lease",
                "add",
                {
                    "address": f"{lan_net}.{100 + k}",
                    "mac-address": _mac(rng),
                    "server": "dhcp1",
                    "host-name": f"client-{k}",
                    "status": "bound",
                    "dynamic": "yes",
                    "_dyn": "1",
                },
            )
        )
    ops.append(Op("/ip/dns", "set", {"servers": "1.1.1.1,9.9.9.9", "allow-remote-requests": "yes"}))
    ops.append(Op("/ip/firewall/address-list", "add", {"list": "mgmt", "address": "10.0.0.0/8"}))
    ops.append(Op("/ip/firewall/address-list", "add", {"list": "mgmt", "address": "172.16.0.0/12", "comment": "NOC"}))
    for k in range(rng.randint(0, 4)):
        ops.append(
            Op(
                "/ip/firewall/address-list",
                "add",
                {"list": "blocked", "address": f"203.0.113.{rng.randint(1, 254)}", "comment": f"abuse #{k}"},
            )
        )
    filters = list(BASE_FILTERS)
    if rng.random() < 0.3:
        filters.insert(
            4,
            {
                "chain": "input",
                "action": "accept",
                "protocol": "tcp",
                "dst-port": "22,8291",
                "disabled": "yes",
                "comment": "temporary access",
            },
        )
    for rule in filters:
        ops.append(Op("/ip/firewall/filter", "add", rule))
    ops.append(
        Op(
            "/ip/firewall/nat",
            "add",
            {"chain": "srcnat", "action": "masquerade", "out-interface-list": "WAN", "comment": "masquerade"},
        )
    )
    if rng.random() < 0.4:
        ops.append(
            Op(
                "/ip/firewall/nat",
                "add",
                {
                    "chain": "dstnat",
                    "action": "dst-nat",
                    "protocol": "tcp",
                    "dst-port": "8080",
                    "in-interface-list": "WAN",
                    "to-addresses": f"{lan_net}.20",
                    "to-ports": "80",
                },
            )
        )
    if uplink == wan:
        ops.append(Op("/ip/route", "add", {"dst-address": "0.0.0.0/0", "gateway": str(wan_gw)}))
    if rng.random() < 0.3:
        ops.append(
            Op(
                "/ip/route",
                "add",
                {"dst-address": "10.250.0.0/16", "gateway": str(wan_gw), "distance": "5", "comment": "to NOC"},
            )
        )
    for name in ("telnet", "ftp", "www"):
        ops.append(Op("/ip/service", "set", {"disabled": "yes"}, ("name", name)))
    if major == 7:
        ops.append(Op("/ip/service", "set", {"disabled": "no", "certificate": "sim-https"}, ("name", "www-ssl")))
    ops.append(Op("/ip/service", "set", {"certificate": "sim-api"}, ("name", "api-ssl")))
    if rng.random() < 0.4:
        for k in range(rng.randint(1, 4)):
            ops.append(
                Op(
                    "/ppp/secret",
                    "add",
                    {
                        "name": f"pppoe-user{k + 1}",
                        "password": _secret(rng),
                        "service": "pppoe",
                        "local-address": "10.200.0.1",
                        "remote-address": f"10.200.{octet}.{k + 2}",
                    },
                )
            )
    if rng.random() < 0.3:
        for k in range(rng.randint(1, 4)):
            ops.append(
                Op(
                    "/ip/hotspot/user",
                    "add",
                    {"name": f"guest{k + 1}", "password": _secret(rng, 8), "limit-uptime": "1d"},
                )
            )
    if rng.random() < 0.5:
        ops.append(
            Op(
                "/radius",
                "add",
                {"service": "ppp,hotspot,login", "address": "10.255.0.10", "secret": _secret(rng, 16), "timeout": "1s"},
            )
        )
        ops.append(Op("/radius/incoming", "set", {"accept": "yes"}))
    city = hw.identity.split("-", 1)[0]
    ops.append(
        Op(
            "/snmp",
            "set",
            {"enabled": "yes", "contact": "noc@example.net", "location": f"{city} rack {rng.randint(1, 40)}"},
        )
    )
    ops.append(
        Op(
            "/system/clock",
            "set",
            {"time-zone-name": rng.choice(("Europe/Amsterdam", "Europe/Berlin", "UTC", "Europe/Lisbon"))},
        )
    )
    ops.append(Op("/system/ntp/client", "set", {"enabled": "yes", "servers": "pool.ntp.org"}))
    ssid = f"{city.upper()}-{rng.randint(100, 999)}"
    if board.wireless == "wireless" or (board.wireless == "wifi" and major == 6):
        ops.append(
            Op(
                "/interface/wireless/security-profiles",
                "add",
                {
                    "name": "wpa",
                    "mode": "dynamic-keys",
                    "authentication-types": "wpa2-psk",
                    "wpa2-pre-shared-key": _secret(rng, 16),
                    "unicast-ciphers": "aes-ccm",
                    "group-ciphers": "aes-ccm",
                },
            )
        )
        for r in range(board.radios):
            ops.append(
                Op(
                    "/interface/wireless",
                    "set",
                    {
                        "mode": "ap-bridge",
                        "ssid": ssid,
                        "security-profile": "wpa",
                        "disabled": "no",
                        "country": "netherlands",
                    },
                    ("default-name", f"wlan{r + 1}"),
                )
            )
    elif board.wireless == "wifi":
        for r in range(board.radios):
            ops.append(
                Op(
                    "/interface/wifi",
                    "set",
                    {
                        "configuration.ssid": ssid,
                        "configuration.country": "Netherlands",
                        "security.authentication-types": "wpa2-psk,wpa3-psk",
                        "security.passphrase": _secret(rng, 16),
                        "disabled": "no",
                    },
                    ("default-name", f"wifi{r + 1}"),
                )
            )
    policy = POLICY_ALL7 if major == 7 else POLICY_ALL6
    if rng.random() < 0.5:
        ops.append(
            Op(
                "/system/script",
                "add",
                {
                    "name": "cleanup",
                    "policy": policy,
                    "source": ':log info "cleanup start"\n/ip firewall address-list remove [find list=blocked]\n',
                },
            )
        )
        ops.append(
            Op(
                "/system/scheduler",
                "add",
                {
                    "name": "nightly-cleanup",
                    "interval": "1d",
                    "start-time": "03:15:00",
                    "on-event": "cleanup",
                    "policy": policy,
                },
            )
        )
    if rng.random() < 0.3:
        ops.append(
            Op("/user/group", "add", {"name": "noc", "policy": "read,api,ssh,test,winbox,web", "comment": "NOC staff"})
        )
    ops.append(
        Op(
            "/user",
            "add",
            {"name": monitor_user, "group": "read", "password": monitor_password, "comment": "monitoring"},
        )
    )
    return ops


# Opt-in bulk (Fleet(config_bulk=True), `--config-bulk`): real routers' exports run 5-50 KB (large
# address lists, per-customer firewall rules); the seeded config is ~3-4 KB. Benchmarks of backups
# need the realistic size; everything else keeps the small config (memory of 10,000-device fleets).
BULK_MIN_BYTES, BULK_MAX_BYTES = 2_000, 42_000
BULK_ROW_BYTES = 70  # about one exported line per row


def bulk_config(hw: Hardware, seed: int) -> list[Op]:
    """Deterministic extra rows (customer address lists, forward rules): the export grows to a
    size drawn log-uniformly between ~5 and ~50 KB per device. Own RNG: the seeded config is
    unchanged."""
    rng = random.Random(seed * 131 + hw.index * 13 + 5)
    target = math.exp(rng.uniform(math.log(BULK_MIN_BYTES), math.log(BULK_MAX_BYTES)))
    rows = int(target / BULK_ROW_BYTES)
    ops: list[Op] = []
    for k in range(rows * 2 // 3):
        ops.append(
            Op(
                "/ip/firewall/address-list",
                "add",
                {
                    "list": rng.choice(("customers", "partners", "monitoring")),
                    "address": f"198.{18 + k // 65025 % 2}.{k // 255 % 255}.{k % 255 + 1}",
                    "comment": f"site {rng.randint(1000, 9999)}",
                },
            )
        )
    for k in range(rows - rows * 2 // 3):
        ops.append(
            Op(
                "/ip/firewall/filter",
                "add",
                {
                    "chain": "forward",
                    "action": rng.choice(("accept", "drop")),
                    "protocol": "tcp",
                    "dst-address": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                    "dst-port": str(rng.choice((22, 80, 443, 3389, 8080, 8443))),
                    "comment": f"customer rule {k}",
                },
            )
        )
    return ops
