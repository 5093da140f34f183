"""The attribute set mikman speaks: RFC 2865/2866/2867/2868/2869/3162/4372/4675/4818/5176/6911, plus
the MikroTik (14988), Microsoft (311) and WISPr (14122) vendor attributes RouterOS uses.

Numbers and types were checked against the RFCs, MikroTik's published vendor dictionary and the
Microsoft attributes of RFC 2548.
"""

from __future__ import annotations

from radius.protocol.dictionary import ENCRYPT_SALT, ENCRYPT_USER_PASSWORD, AttributeDef

MIKROTIK = 14988
MICROSOFT = 311
WISPR = 14122

VENDORS = {MIKROTIK: "Mikrotik", MICROSOFT: "Microsoft", WISPR: "WISPr"}


def _a(code: int, name: str, type_: str, **kw) -> AttributeDef:
    return AttributeDef(name=name, code=code, type=type_, **kw)


def _v(vendor: int, code: int, name: str, type_: str, **kw) -> AttributeDef:
    return AttributeDef(name=name, code=code, type=type_, vendor=vendor, **kw)


SERVICE_TYPES = {
    "Login-User": 1,
    "Framed-User": 2,
    "Callback-Login-User": 3,
    "Callback-Framed-User": 4,
    "Outbound-User": 5,
    "Administrative-User": 6,
    "NAS-Prompt-User": 7,
    "Authenticate-Only": 8,
    "Callback-NAS-Prompt": 9,
    "Call-Check": 10,
    "Callback-Administrative": 11,
    "Authorize-Only": 17,
}
NAS_PORT_TYPES = {
    "Async": 0,
    "Sync": 1,
    "ISDN": 2,
    "ISDN-V120": 3,
    "ISDN-V110": 4,
    "Virtual": 5,
    "PIAFS": 6,
    "HDLC-Clear-Channel": 7,
    "X.25": 8,
    "X.75": 9,
    "G.3-Fax": 10,
    "SDSL": 11,
    "ADSL-CAP": 12,
    "ADSL-DMT": 13,
    "IDSL": 14,
    "Ethernet": 15,
    "xDSL": 16,
    "Cable": 17,
    "Wireless-Other": 18,
    "Wireless-802.11": 19,
}
ACCT_STATUS_TYPES = {"Start": 1, "Stop": 2, "Interim-Update": 3, "Accounting-On": 7, "Accounting-Off": 8}
ACCT_TERMINATE_CAUSES = {
    "User-Request": 1,
    "Lost-Carrier": 2,
    "Lost-Service": 3,
    "Idle-Timeout": 4,
    "Session-Timeout": 5,
    "Admin-Reset": 6,
    "Admin-Reboot": 7,
    "Port-Error": 8,
    "NAS-Error": 9,
    "NAS-Request": 10,
    "NAS-Reboot": 11,
    "Port-Unneeded": 12,
    "Port-Preempted": 13,
    "Port-Suspended": 14,
    "Service-Unavailable": 15,
    "Callback": 16,
    "User-Error": 17,
    "Host-Request": 18,
}
ERROR_CAUSES = {
    "Residual-Session-Context-Removed": 201,
    "Invalid-EAP-Packet": 202,
    "Unsupported-Attribute": 401,
    "Missing-Attribute": 402,
    "NAS-Identification-Mismatch": 403,
    "Invalid-Request": 404,
    "Unsupported-Service": 405,
    "Unsupported-Extension": 406,
    "Invalid-Attribute-Value": 407,
    "Administratively-Prohibited": 501,
    "Request-Not-Routable": 502,
    "Session-Context-Not-Found": 503,
    "Session-Context-Not-Removable": 504,
    "Other-Proxy-Processing-Error": 505,
    "Resources-Unavailable": 506,
    "Request-Initiated": 507,
    "Multiple-Session-Selection-Unsupported": 508,
}
TUNNEL_TYPES = {
    "PPTP": 1,
    "L2F": 2,
    "L2TP": 3,
    "ATMP": 4,
    "VTP": 5,
    "AH": 6,
    "IP-IP": 7,
    "MIN-IP-IP": 8,
    "ESP": 9,
    "GRE": 10,
    "DVS": 11,
    "IP-in-IP": 12,
    "VLAN": 13,
}
TUNNEL_MEDIUM_TYPES = {"IPv4": 1, "IPv6": 2, "NSAP": 3, "HDLC": 4, "BBN-1822": 5, "IEEE-802": 6, "E.163": 7}

STANDARD = [
    # RFC 2865
    _a(1, "User-Name", "string"),
    _a(2, "User-Password", "string", encrypt=ENCRYPT_USER_PASSWORD),
    _a(3, "CHAP-Password", "octets"),
    _a(4, "NAS-IP-Address", "ipaddr"),
    _a(5, "NAS-Port", "integer"),
    _a(6, "Service-Type", "integer", values=SERVICE_TYPES),
    _a(7, "Framed-Protocol", "integer", values={"PPP": 1, "SLIP": 2, "ARAP": 3, "Gandalf-SLML": 4}),
    _a(8, "Framed-IP-Address", "ipaddr"),
    _a(9, "Framed-IP-Netmask", "ipaddr"),
    _a(10, "Framed-Routing", "integer", values={"None": 0, "Broadcast": 1, "Listen": 2, "Broadcast-Listen": 3}),
    _a(11, "Filter-Id", "string"),
    _a(12, "Framed-MTU", "integer"),
    _a(13, "Framed-Compression", "integer", values={"None": 0, "Van-Jacobson-TCP-IP": 1, "IPX-Header": 2}),
    _a(14, "Login-IP-Host", "ipaddr"),
    _a(15, "Login-Service", "integer", values={"Telnet": 0, "Rlogin": 1, "TCP-Clear": 2, "PortMaster": 3}),
    _a(16, "Login-TCP-Port", "integer"),
    _a(18, "Reply-Message", "string"),
    _a(19, "Callback-Number", "string"),
    _a(20, "Callback-Id", "string"),
    _a(22, "Framed-Route", "string"),
    _a(23, "Framed-IPX-Network", "ipaddr"),
    _a(24, "State", "octets"),
    _a(25, "Class", "octets"),
    _a(26, "Vendor-Specific", "vsa"),
    _a(27, "Session-Timeout", "integer"),
    _a(28, "Idle-Timeout", "integer"),
    _a(29, "Termination-Action", "integer", values={"Default": 0, "RADIUS-Request": 1}),
    _a(30, "Called-Station-Id", "string"),
    _a(31, "Calling-Station-Id", "string"),
    _a(32, "NAS-Identifier", "string"),
    _a(33, "Proxy-State", "octets"),
    _a(34, "Login-LAT-Service", "string"),
    _a(35, "Login-LAT-Node", "string"),
    _a(36, "Login-LAT-Group", "octets"),
    _a(37, "Framed-AppleTalk-Link", "integer"),
    _a(38, "Framed-AppleTalk-Network", "integer"),
    _a(39, "Framed-AppleTalk-Zone", "string"),
    _a(60, "CHAP-Challenge", "octets"),
    _a(61, "NAS-Port-Type", "integer", values=NAS_PORT_TYPES),
    _a(62, "Port-Limit", "integer"),
    _a(63, "Login-LAT-Port", "string"),
    # RFC 2866 (accounting)
    _a(40, "Acct-Status-Type", "integer", values=ACCT_STATUS_TYPES),
    _a(41, "Acct-Delay-Time", "integer"),
    _a(42, "Acct-Input-Octets", "integer"),
    _a(43, "Acct-Output-Octets", "integer"),
    _a(44, "Acct-Session-Id", "string"),
    _a(45, "Acct-Authentic", "integer", values={"RADIUS": 1, "Local": 2, "Remote": 3, "Diameter": 4}),
    _a(46, "Acct-Session-Time", "integer"),
    _a(47, "Acct-Input-Packets", "integer"),
    _a(48, "Acct-Output-Packets", "integer"),
    _a(49, "Acct-Terminate-Cause", "integer", values=ACCT_TERMINATE_CAUSES),
    _a(50, "Acct-Multi-Session-Id", "string"),
    _a(51, "Acct-Link-Count", "integer"),
    # RFC 2869 (extensions)
    _a(52, "Acct-Input-Gigawords", "integer"),
    _a(53, "Acct-Output-Gigawords", "integer"),
    _a(55, "Event-Timestamp", "date"),
    _a(70, "ARAP-Password", "octets"),
    _a(71, "ARAP-Features", "octets"),
    _a(72, "ARAP-Zone-Access", "integer"),
    _a(73, "ARAP-Security", "integer"),
    _a(74, "ARAP-Security-Data", "string"),
    _a(75, "Password-Retry", "integer"),
    _a(76, "Prompt", "integer", values={"No-Echo": 0, "Echo": 1}),
    _a(77, "Connect-Info", "string"),
    _a(78, "Configuration-Token", "string"),
    _a(79, "EAP-Message", "octets", concat=True),
    _a(80, "Message-Authenticator", "octets"),
    _a(84, "ARAP-Challenge-Response", "octets"),
    _a(85, "Acct-Interim-Interval", "integer"),
    _a(87, "NAS-Port-Id", "string"),
    _a(88, "Framed-Pool", "string"),
    # RFC 2867 / 2868 (tunnels)
    _a(64, "Tunnel-Type", "integer", tag=True, values=TUNNEL_TYPES),
    _a(65, "Tunnel-Medium-Type", "integer", tag=True, values=TUNNEL_MEDIUM_TYPES),
    _a(66, "Tunnel-Client-Endpoint", "string", tag=True),
    _a(67, "Tunnel-Server-Endpoint", "string", tag=True),
    _a(68, "Acct-Tunnel-Connection", "string"),
    _a(69, "Tunnel-Password", "string", tag=True, encrypt=ENCRYPT_SALT),
    _a(81, "Tunnel-Private-Group-Id", "string", tag=True),
    _a(82, "Tunnel-Assignment-Id", "string", tag=True),
    _a(83, "Tunnel-Preference", "integer", tag=True),
    _a(86, "Acct-Tunnel-Packets-Lost", "integer"),
    _a(90, "Tunnel-Client-Auth-Id", "string", tag=True),
    _a(91, "Tunnel-Server-Auth-Id", "string", tag=True),
    # RFC 4372, 4675
    _a(89, "Chargeable-User-Identity", "octets"),
    _a(56, "Egress-VLANID", "integer"),
    _a(57, "Ingress-Filters", "integer", values={"Enabled": 1, "Disabled": 2}),
    _a(58, "Egress-VLAN-Name", "string"),
    _a(59, "User-Priority-Table", "octets"),
    # RFC 3162, 4818, 6911 (IPv6)
    _a(95, "NAS-IPv6-Address", "ipv6addr"),
    _a(96, "Framed-Interface-Id", "ifid"),
    _a(97, "Framed-IPv6-Prefix", "ipv6prefix"),
    _a(98, "Login-IPv6-Host", "ipv6addr"),
    _a(99, "Framed-IPv6-Route", "string"),
    _a(100, "Framed-IPv6-Pool", "string"),
    _a(123, "Delegated-IPv6-Prefix", "ipv6prefix"),
    _a(168, "Framed-IPv6-Address", "ipv6addr"),
    _a(169, "DNS-Server-IPv6-Address", "ipv6addr"),
    _a(171, "Delegated-IPv6-Prefix-Pool", "string"),
    _a(172, "Stateful-IPv6-Address-Pool", "string"),
    # RFC 5176 (dynamic authorization)
    _a(101, "Error-Cause", "integer", values=ERROR_CAUSES),
]

M = MIKROTIK
MIKROTIK_ATTRIBUTES = [
    _v(M, 1, "Mikrotik-Recv-Limit", "integer"),
    _v(M, 2, "Mikrotik-Xmit-Limit", "integer"),
    _v(M, 3, "Mikrotik-Group", "string"),
    _v(M, 4, "Mikrotik-Wireless-Forward", "integer"),
    _v(M, 5, "Mikrotik-Wireless-Skip-Dot1x", "integer"),
    _v(
        M,
        6,
        "Mikrotik-Wireless-Enc-Algo",
        "integer",
        values={"No-encryption": 0, "40-bit-WEP": 1, "104-bit-WEP": 2, "AES-CCM": 3, "TKIP": 4},
    ),
    _v(M, 7, "Mikrotik-Wireless-Enc-Key", "string"),
    _v(M, 8, "Mikrotik-Rate-Limit", "string"),
    _v(M, 9, "Mikrotik-Realm", "string"),
    _v(M, 10, "Mikrotik-Host-IP", "ipaddr"),
    _v(M, 11, "Mikrotik-Mark-Id", "string"),
    _v(M, 12, "Mikrotik-Advertise-URL", "string"),
    _v(M, 13, "Mikrotik-Advertise-Interval", "integer"),
    _v(M, 14, "Mikrotik-Recv-Limit-Gigawords", "integer"),
    _v(M, 15, "Mikrotik-Xmit-Limit-Gigawords", "integer"),
    _v(M, 16, "Mikrotik-Wireless-PSK", "string"),
    _v(M, 17, "Mikrotik-Total-Limit", "integer"),
    _v(M, 18, "Mikrotik-Total-Limit-Gigawords", "integer"),
    _v(M, 19, "Mikrotik-Address-List", "string"),
    _v(M, 20, "Mikrotik-Wireless-MPKey", "string"),
    _v(M, 21, "Mikrotik-Wireless-Comment", "string"),
    _v(M, 22, "Mikrotik-Delegated-IPv6-Pool", "string"),
    _v(M, 23, "Mikrotik-DHCP-Option-Set", "string"),
    _v(M, 24, "Mikrotik-DHCP-Option-Param-STR1", "string"),
    _v(M, 25, "Mikrotik-DHCP-Option-Param-STR2", "string"),
    _v(M, 26, "Mikrotik-Wireless-VLANID", "integer"),
    _v(M, 27, "Mikrotik-Wireless-VLANID-Type", "integer", values={"802.1q": 0, "802.1ad": 1}),
    _v(M, 28, "Mikrotik-Wireless-Minsignal", "string"),
    _v(M, 29, "Mikrotik-Wireless-Maxsignal", "string"),
]

S = MICROSOFT
MICROSOFT_ATTRIBUTES = [
    _v(S, 1, "MS-CHAP-Response", "octets"),
    _v(S, 2, "MS-CHAP-Error", "octets"),  # ident byte + text
    _v(S, 3, "MS-CHAP-CPW-1", "octets"),
    _v(S, 4, "MS-CHAP-CPW-2", "octets"),
    _v(S, 5, "MS-CHAP-LM-Enc-PW", "octets"),
    _v(S, 6, "MS-CHAP-NT-Enc-PW", "octets"),
    _v(S, 7, "MS-MPPE-Encryption-Policy", "integer", values={"Encryption-Allowed": 1, "Encryption-Required": 2}),
    _v(
        S,
        8,
        "MS-MPPE-Encryption-Types",
        "integer",
        values={"RC4-40bit-Allowed": 1, "RC4-128bit-Allowed": 2, "RC4-40or128-bit-Allowed": 6},
    ),
    _v(S, 9, "MS-RAS-Vendor", "integer"),
    _v(S, 10, "MS-CHAP-Domain", "octets"),
    _v(S, 11, "MS-CHAP-Challenge", "octets"),
    _v(S, 12, "MS-CHAP-MPPE-Keys", "octets", encrypt=ENCRYPT_USER_PASSWORD),
    _v(S, 13, "MS-BAP-Usage", "integer"),
    _v(S, 14, "MS-Link-Utilization-Threshold", "integer"),
    _v(S, 15, "MS-Link-Drop-Time-Limit", "integer"),
    _v(S, 16, "MS-MPPE-Send-Key", "octets", encrypt=ENCRYPT_SALT),
    _v(S, 17, "MS-MPPE-Recv-Key", "octets", encrypt=ENCRYPT_SALT),
    _v(S, 18, "MS-RAS-Version", "string"),
    _v(S, 22, "MS-Filter", "octets"),
    _v(S, 23, "MS-Acct-Auth-Type", "integer"),
    _v(S, 24, "MS-Acct-EAP-Type", "integer"),
    _v(S, 25, "MS-CHAP2-Response", "octets"),
    _v(S, 26, "MS-CHAP2-Success", "octets"),  # ident byte + "S=<40 hex>"
    _v(S, 27, "MS-CHAP2-CPW", "octets"),
    _v(S, 28, "MS-Primary-DNS-Server", "ipaddr"),
    _v(S, 29, "MS-Secondary-DNS-Server", "ipaddr"),
    _v(S, 30, "MS-Primary-NBNS-Server", "ipaddr"),
    _v(S, 31, "MS-Secondary-NBNS-Server", "ipaddr"),
]

W = WISPR
WISPR_ATTRIBUTES = [
    _v(W, 1, "WISPr-Location-ID", "string"),
    _v(W, 2, "WISPr-Location-Name", "string"),
    _v(W, 3, "WISPr-Logoff-URL", "string"),
    _v(W, 4, "WISPr-Redirection-URL", "string"),
    _v(W, 5, "WISPr-Bandwidth-Min-Up", "integer"),
    _v(W, 6, "WISPr-Bandwidth-Min-Down", "integer"),
    _v(W, 7, "WISPr-Bandwidth-Max-Up", "integer"),
    _v(W, 8, "WISPr-Bandwidth-Max-Down", "integer"),
    _v(W, 9, "WISPr-Session-Terminate-Time", "string"),
    _v(W, 10, "WISPr-Session-Terminate-End-Of-Day", "string"),
    _v(W, 11, "WISPr-Billing-Class-Of-Service", "string"),
]

ATTRIBUTES = STANDARD + MIKROTIK_ATTRIBUTES + MICROSOFT_ATTRIBUTES + WISPR_ATTRIBUTES
