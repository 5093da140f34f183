"""Menu schemas: which RouterOS menus exist, their fields, defaults and export rules.

The schema is data, shared by every device; a device stores only rows and the values that
differ from these defaults.  Paths are canonical slash form ("/ip/firewall/filter").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    """One attribute of a menu row."""

    name: str
    default: str | None = None  # None: absent unless set
    boolean: bool = False  # stored yes/no, API shows true/false
    sensitive: bool = False  # hidden in v7 export without show-sensitive, needs policy
    readonly: bool = False  # computed or hardware, not settable
    writeonly: bool = False  # e.g. user password: settable, never printed


def F(name: str, default: str | None = None, **kw: bool) -> Field:  # noqa: N802
    return Field(name, default, **kw)


def B(name: str, default: str = "no") -> Field:  # noqa: N802
    return Field(name, default, boolean=True)


@dataclass(frozen=True)
class Menu:
    """A RouterOS menu.

    kind: "list" (rows with .id, add/set/remove), "single" (one settings row, set only),
    "fixed" (factory rows, set only, plus add when `addable`), "view" (computed, read-only).
    """

    path: str
    kind: str
    fields: tuple[Field, ...] = ()
    key: str | None = "name"
    export: bool = True
    selector: str | None = None  # export selector for factory rows: "default-name", "name", "find-name"
    addable: bool = False  # fixed menus that also accept add (user groups, ppp profiles)
    major: int | None = None  # only exists on this major version
    policy: str = "write"  # policy needed to change it
    id_space: str | None = None  # menus sharing .id numbering (interfaces)
    iface_type: str | None = None  # /interface type shown for rows of this menu
    commands: tuple[str, ...] = ()  # extra menu commands handled by device.execute
    fmap: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.fmap.update({f.name: f for f in self.fields})

    @property
    def cli_path(self) -> str:
        """ "/ip/firewall/filter" -> "/ip firewall filter" (export / CLI spelling)."""
        return "/" + " ".join(self.path.strip("/").split("/"))


COMMON = (F("comment"),)
DISABLED = B("disabled")
POLICY_ALL7 = "ftp,reboot,read,write,policy,test,password,sniff,sensitive,romon"
POLICY_ALL6 = "ftp,reboot,read,write,policy,test,password,sniff,sensitive,romon,dude"

FULL_POLICY = {
    7: "local,telnet,ssh,ftp,reboot,read,write,policy,test,winbox,password,web,sniff,sensitive,api,romon,rest-api",
    6: "local,telnet,ssh,ftp,reboot,read,write,policy,test,winbox,password,web,sniff,sensitive,api,romon,dude,tikapp",
}
READ_POLICY = {
    7: "local,telnet,ssh,read,test,winbox,password,web,sniff,sensitive,api,romon,rest-api,!ftp,!reboot,!write,!policy",
    6: "local,telnet,ssh,read,test,winbox,password,web,sniff,sensitive,api,romon,tikapp,"
    "!ftp,!reboot,!write,!policy,!dude",
}
WRITE_POLICY = {
    7: "local,telnet,ssh,reboot,read,write,test,winbox,password,web,sniff,sensitive,api,romon,rest-api,!ftp,!policy",
    6: "local,telnet,ssh,reboot,read,write,test,winbox,password,web,sniff,sensitive,api,romon,tikapp,"
    "!ftp,!policy,!dude",
}
ALL_POLICIES = {
    7: FULL_POLICY[7].split(","),
    6: FULL_POLICY[6].split(","),
}

IFACE_COMMON = (F("name"), F("mtu", "1500"), DISABLED, F("comment"))

MENUS_LIST: tuple[Menu, ...] = (
    # ---- interfaces (share one .id space, shown together in /interface)
    Menu(
        "/interface/bridge",
        "list",
        (
            F("name"),
            F("mtu", "auto"),
            F("protocol-mode", "rstp"),
            B("vlan-filtering"),
            F("admin-mac"),
            B("auto-mac", "yes"),
            DISABLED,
            F("comment"),
            F("mac-address", readonly=True),
        ),
        id_space="interface",
        iface_type="bridge",
    ),
    Menu(
        "/interface/ethernet",
        "fixed",
        (
            F("name"),
            F("default-name", readonly=True),
            F("mtu", "1500"),
            F("l2mtu", "1592"),
            F("arp", "enabled"),
            F("speed"),
            DISABLED,
            F("comment"),
            F("mac-address", readonly=True),
            F("orig-mac-address", readonly=True),
        ),
        selector="default-name",
        id_space="interface",
        iface_type="ether",
    ),
    Menu(
        "/interface/pppoe-client",
        "list",
        (
            F("name"),
            F("interface"),
            F("user"),
            F("password", sensitive=True),
            B("add-default-route"),
            B("use-peer-dns"),
            F("profile", "default"),
            DISABLED,
            F("comment"),
        ),
        id_space="interface",
        iface_type="pppoe-out",
    ),
    Menu(
        "/interface/vlan",
        "list",
        (
            F("name"),
            F("vlan-id"),
            F("interface"),
            F("mtu", "1500"),
            DISABLED,
            F("comment"),
            F("mac-address", readonly=True),
        ),
        id_space="interface",
        iface_type="vlan",
    ),
    Menu(
        "/interface/wireless",
        "fixed",
        (
            F("name"),
            F("default-name", readonly=True),
            F("mode", "station"),
            F("ssid", "MikroTik"),
            F("band"),
            F("frequency", "auto"),
            F("channel-width"),
            F("security-profile", "default"),
            F("country"),
            DISABLED,
            F("comment"),
            F("mac-address", readonly=True),
        ),
        selector="default-name",
        id_space="interface",
        iface_type="wlan",
    ),
    Menu(
        "/interface/wifi",
        "fixed",
        (
            F("name"),
            F("default-name", readonly=True),
            F("configuration.mode", "ap"),
            F("configuration.ssid"),
            F("configuration.country"),
            F("channel.band"),
            F("channel.width"),
            F("security.authentication-types"),
            F("security.passphrase", sensitive=True),
            DISABLED,
            F("comment"),
            F("mac-address", readonly=True),
        ),
        selector="default-name",
        id_space="interface",
        iface_type="wifi",
        major=7,
    ),
    Menu("/interface/list", "list", (F("name"), F("include"), F("exclude"), F("comment"))),
    Menu(
        "/interface/wireless/security-profiles",
        "fixed",
        (
            F("name"),
            F("mode", "none"),
            F("authentication-types"),
            F("unicast-ciphers"),
            F("group-ciphers"),
            F("wpa2-pre-shared-key", sensitive=True),
            F("supplicant-identity"),
            F("comment"),
        ),
        selector="name",
        addable=True,
    ),
    Menu("/ip/pool", "list", (F("name"), F("ranges"), F("next-pool"), F("comment"))),
    Menu(
        "/ip/dhcp-server",
        "list",
        (F("name"), F("interface"), F("address-pool"), F("lease-time"), DISABLED, F("comment")),
    ),
    Menu(
        "/ppp/profile",
        "fixed",
        (
            F("name"),
            F("local-address"),
            F("remote-address"),
            F("dns-server"),
            F("use-encryption", "default"),
            F("only-one", "default"),
            F("rate-limit"),
            F("comment"),
        ),
        selector="find-name",
        addable=True,
    ),
    Menu(
        "/interface/bridge/port",
        "list",
        (F("bridge"), F("interface"), F("pvid", "1"), DISABLED, F("comment")),
        key=None,
    ),
    Menu("/interface/list/member", "list", (F("list"), F("interface"), DISABLED, F("comment")), key=None),
    Menu(
        "/ip/address",
        "list",
        (
            F("address"),
            F("network"),
            F("interface"),
            DISABLED,
            F("comment"),
            F("actual-interface", readonly=True),
            B("invalid"),
            B("dynamic"),
        ),
        key=None,
    ),
    Menu(
        "/ip/dhcp-server/lease",
        "list",
        (
            F("address"),
            F("mac-address"),
            F("client-id"),
            F("server"),
            F("host-name", readonly=True),
            F("status", readonly=True),
            DISABLED,
            F("comment"),
            F("last-seen", readonly=True),
            B("dynamic"),
        ),
        key=None,
    ),
    Menu(
        "/ip/dhcp-server/network",
        "list",
        (F("address"), F("gateway"), F("dns-server"), F("domain"), F("comment")),
        key=None,
    ),
    Menu("/ip/dns", "single", (F("servers", ""), B("allow-remote-requests"), F("cache-size", "2048KiB"))),
    Menu(
        "/ip/firewall/address-list",
        "list",
        (
            F("list"),
            F("address"),
            F("timeout"),
            DISABLED,
            F("comment"),
            F("creation-time", readonly=True),
            B("dynamic"),
        ),
        key=None,
    ),
    Menu(
        "/ip/firewall/filter",
        "list",
        (
            F("chain"),
            F("action"),
            F("connection-state"),
            F("protocol"),
            F("src-address"),
            F("dst-address"),
            F("src-address-list"),
            F("dst-address-list"),
            F("in-interface"),
            F("in-interface-list"),
            F("out-interface"),
            F("out-interface-list"),
            F("src-port"),
            F("dst-port"),
            F("reject-with"),
            B("log"),
            F("log-prefix"),
            DISABLED,
            F("comment"),
            F("bytes", readonly=True),
            F("packets", readonly=True),
        ),
        key=None,
        commands=("move", "reset-counters"),
    ),
    Menu(
        "/ip/firewall/nat",
        "list",
        (
            F("chain"),
            F("action"),
            F("protocol"),
            F("src-address"),
            F("dst-address"),
            F("in-interface"),
            F("in-interface-list"),
            F("out-interface"),
            F("out-interface-list"),
            F("src-address-list"),
            F("dst-port"),
            F("to-addresses"),
            F("to-ports"),
            B("log"),
            DISABLED,
            F("comment"),
            F("bytes", readonly=True),
            F("packets", readonly=True),
        ),
        key=None,
        commands=("move", "reset-counters"),
    ),
    Menu(
        "/ip/hotspot/user",
        "list",
        (
            F("server"),
            F("name"),
            F("password", sensitive=True),
            F("profile", "default"),
            F("limit-uptime"),
            F("mac-address"),
            DISABLED,
            F("comment"),
        ),
    ),
    Menu(
        "/ip/route",
        "list",
        (
            F("dst-address", "0.0.0.0/0"),
            F("gateway"),
            F("distance", "1"),
            F("routing-table"),
            F("routing-mark"),
            F("scope"),
            F("check-gateway"),
            DISABLED,
            F("comment"),
            B("active"),
            B("dynamic"),
        ),
        key=None,
    ),
    Menu(
        "/ip/service",
        "fixed",
        (F("name", readonly=True), F("port"), F("address", ""), F("certificate"), DISABLED),
        selector="name",
    ),
    Menu(
        "/ppp/secret",
        "list",
        (
            F("name"),
            F("password", sensitive=True),
            F("service", "any"),
            F("profile", "default"),
            F("local-address"),
            F("remote-address"),
            F("caller-id"),
            DISABLED,
            F("comment"),
        ),
    ),
    Menu(
        "/radius",
        "list",
        (
            F("service"),
            F("address"),
            F("secret", sensitive=True),
            F("authentication-port", "1812"),
            F("accounting-port", "1813"),
            F("timeout", "300ms"),
            F("src-address"),
            F("protocol", "udp"),
            # RouterOS 7.15+ / 6.49.15+ (BlastRADIUS): no | yes-for-request-resp
            F("require-message-auth", "yes-for-request-resp"),
            DISABLED,
            F("comment"),
        ),
        key=None,
    ),
    Menu("/radius/incoming", "single", (B("accept"), F("port", "3799"))),
    Menu(
        "/ppp/aaa",
        "single",
        (B("use-radius"), B("accounting", "yes"), F("interim-update", "0s"), B("use-circuit-id-in-nas-port-id")),
    ),
    Menu(
        "/ip/hotspot/profile",
        "fixed",
        (
            F("name"),
            F("hotspot-address"),
            F("dns-name", ""),
            F("html-directory", "hotspot"),
            F("login-by", "cookie,http-chap"),
            B("use-radius"),
            B("radius-accounting", "yes"),
            F("radius-interim-update", "received"),
            F("nas-port-type", "wireless-802.11"),
            F("rate-limit"),
        ),
        selector="find-name",
        addable=True,
    ),
    Menu(
        "/snmp",
        "single",
        (
            B("enabled"),
            F("contact", ""),
            F("location", ""),
            F("trap-version", "1"),
            F("trap-community"),
            F("trap-target"),
        ),
    ),
    Menu(
        "/snmp/community",
        "fixed",
        (
            F("name"),
            F("addresses", "::/0"),
            F("security", "none"),
            B("read-access", "yes"),
            B("write-access"),
            F("authentication-protocol", "MD5"),
            F("authentication-password", sensitive=True),
            F("encryption-protocol", "DES"),
            F("encryption-password", sensitive=True),
            DISABLED,
            F("comment"),
        ),
        selector="find-name",
        addable=True,
    ),
    Menu(
        "/system/clock",
        "single",
        (
            F("time-zone-name", "manual"),
            B("time-zone-autodetect", "yes"),
            F("time", readonly=True),
            F("date", readonly=True),
            F("gmt-offset", readonly=True),
        ),
    ),
    Menu("/system/identity", "single", (F("name", "MikroTik"),)),
    Menu("/system/ntp/client", "single", (B("enabled"), F("servers", ""), F("mode", "unicast"))),
    Menu(
        "/system/scheduler",
        "list",
        (
            F("name"),
            F("start-date"),
            F("start-time", "startup"),
            F("interval", "0s"),
            F("on-event", ""),
            F("policy"),
            DISABLED,
            F("comment"),
            F("owner", readonly=True),
            F("next-run", readonly=True),
            F("run-count", readonly=True),
        ),
    ),
    Menu(
        "/system/script",
        "list",
        (
            F("name"),
            F("source", ""),
            F("policy"),
            B("dont-require-permissions"),
            F("comment"),
            F("owner", readonly=True),
            F("last-started", readonly=True),
            F("run-count", readonly=True),
        ),
        commands=("run",),
    ),
    Menu(
        "/user/group",
        "fixed",
        (F("name"), F("policy"), F("skin", "default"), F("comment")),
        selector="find-name",
        addable=True,
        policy="policy",
    ),
    # ---- not exported
    Menu(
        "/user",
        "list",
        (
            F("name"),
            F("group"),
            F("address", ""),
            DISABLED,
            F("comment"),
            F("password", writeonly=True),
            F("last-logged-in", readonly=True),
        ),
        export=False,
        policy="policy",
    ),
    Menu(
        "/user/ssh-keys",
        "list",
        (
            F("user"),
            F("key", writeonly=True),
            F("key-owner", readonly=True),
            F("bits", readonly=True),
            F("key-type", readonly=True),
            F("comment"),
        ),
        key=None,
        export=False,
        policy="policy",
        commands=("import",),
    ),
    Menu(
        "/file",
        "list",
        (
            F("name"),
            F("type", readonly=True),
            F("size", readonly=True),
            F("creation-time", readonly=True),
            F("contents"),
        ),
        export=False,
    ),
    Menu("/log", "view", (F("time"), F("topics"), F("message")), key=None, export=False),
    Menu("/interface", "view", (), export=False),
    Menu("/system/resource", "view", (), export=False),
    Menu("/system/routerboard", "view", (), export=False, commands=("upgrade",)),
    Menu("/system/health", "view", (), export=False),
    Menu("/system/license", "view", (), export=False),
    Menu("/system/package", "view", (), export=False),
    Menu(
        "/system/package/update",
        "single",
        (
            F("channel", "stable"),
            F("installed-version", readonly=True),
            F("latest-version", readonly=True),
            F("status", readonly=True),
        ),
        export=False,
        commands=("check-for-updates", "download", "install"),
    ),
    Menu("/system/backup", "view", (), export=False, commands=("save", "load")),
    Menu("/interface/wireless/registration-table", "view", (), export=False),
    Menu("/interface/wifi/registration-table", "view", (), export=False, major=7),
    Menu("/ppp/active", "view", (), export=False),
    Menu("/ip/hotspot/active", "view", (), export=False),
)

MENUS: dict[str, Menu] = {m.path: m for m in MENUS_LIST}

# Commands that live on a path that is not itself a menu we print.
COMMAND_PATHS: dict[str, tuple[str, ...]] = {
    "/system": ("reboot", "shutdown", "reset-configuration"),
    "/system/package/update": ("check-for-updates", "download", "install"),
    "/system/backup": ("save", "load"),
    "/system/script": ("run",),
    "/system/routerboard": ("upgrade",),
    "/interface": ("monitor-traffic",),
    "/": ("import", "export", "ping"),
    "/user/ssh-keys": ("import",),
}

GENERIC_COMMANDS = (
    "print",
    "add",
    "set",
    "remove",
    "enable",
    "disable",
    "get",
    "export",
    "find",
    "edit",
    "comment",
    "unset",
    "listen",
    "move",
    "reset-counters",
)

# Every prefix of a known path, to tell "no such command" from "no such command prefix".
PATH_PREFIXES: frozenset[str] = frozenset(
    "/" + "/".join(p.strip("/").split("/")[:i])
    for p in list(MENUS) + list(COMMAND_PATHS)
    for i in range(0, len(p.strip("/").split("/")) + 1)
)


def menu_for(path: str, major: int) -> Menu | None:
    """The menu at a canonical path on a given major version, or None."""
    menu = MENUS.get(path)
    if menu is None or (menu.major is not None and menu.major != major):
        return None
    return menu


def canonical_path(text: str) -> str:
    """Normalise "/ip firewall filter", "ip/firewall/filter/" to "/ip/firewall/filter"."""
    parts = [p for p in text.replace("/", " ").split() if p]
    return "/" + "/".join(parts)
