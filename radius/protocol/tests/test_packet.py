"""Codec behaviour: strict parsing, round trips, authenticators per packet kind, typed values."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from radius.protocol import Code, Packet, PacketError, decode_packet
from radius.protocol.definitions import MIKROTIK

SECRET = b"s3cret-for-tests"


def header(code: int, length: int, ident: int = 1) -> bytes:
    return bytes([code, ident]) + length.to_bytes(2, "big") + bytes(16)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too short"),
        (header(1, 20)[:19], "too short"),
        (header(1, 19), "out of range"),
        (header(1, 4097) + bytes(4077), "out of range"),
        (header(1, 30), "truncated"),
        (header(99, 20), "unknown RADIUS code"),
        (header(1, 21) + b"\x01", "cut off"),
        (header(1, 22) + b"\x01\x01", "bad length"),
        (header(1, 22) + b"\x01\x00", "bad length"),
        (header(1, 23) + b"\x01\x04\x00", "bad length"),
        (header(1, 24) + b"\x50\x04ab", "16 bytes"),
        (header(1, 56) + b"\x50\x12" + bytes(16) + b"\x50\x12" + bytes(16), "more than one"),
    ],
)
def test_malformed_datagrams_raise_packet_error(data, message):
    with pytest.raises(PacketError, match=message):
        decode_packet(data, SECRET)


def test_bytes_past_the_length_field_are_padding():
    data = header(1, 26) + b"\x01\x06nemo" + b"junk-after-length"
    packet = decode_packet(data, SECRET)
    assert packet.get("User-Name") == "nemo" and packet.raw == data[:26]


def test_unknown_attributes_survive_a_round_trip():
    req = Packet(Code.ACCOUNTING_REQUEST, 9, secret=SECRET)
    req.add("User-Name", "alice").add_raw(0, 250, b"\x01\x02").add_raw(MIKROTIK, 200, b"x")
    req.add_raw(0, 26, b"\x00\x00\x00\x00abc")  # a VSA with vendor 0: kept whole
    decoded = decode_packet(req.encode(), SECRET)
    decoded.verify_request()
    assert decoded.attributes == req.attributes
    assert dict(decoded.items())["Attr-250"] == b"\x01\x02"
    assert dict(decoded.items())["Vendor-14988-Attr-200"] == b"x"


@pytest.mark.parametrize("code", [Code.ACCOUNTING_REQUEST, Code.COA_REQUEST, Code.DISCONNECT_REQUEST])
def test_hashed_requests_authenticator_and_message_authenticator(code):
    req = Packet(code, 3, secret=SECRET)
    req.add("Acct-Session-Id", "s-1").add("User-Name", "bob")
    wire = req.encode()
    decoded = decode_packet(wire, SECRET)
    decoded.verify_request(require_message_authenticator=code != Code.ACCOUNTING_REQUEST)
    with pytest.raises(PacketError, match="Request Authenticator"):
        decode_packet(wire, b"other-secret").verify_request()
    tampered = bytearray(wire)
    tampered[-1] ^= 1
    with pytest.raises(PacketError):
        decode_packet(bytes(tampered), SECRET).verify_request()
    # the reply verifies against the encoded request's authenticator
    ack = decoded.reply({Code.ACCOUNTING_REQUEST: 5, Code.COA_REQUEST: 44, Code.DISCONNECT_REQUEST: 41}[code])
    decode_packet(ack.encode(), SECRET, request=req).verify_reply(req)


def test_coa_and_disconnect_requests_carry_message_authenticator_first():
    for code in (Code.COA_REQUEST, Code.DISCONNECT_REQUEST):
        wire = Packet(code, secret=SECRET).add("User-Name", "u").encode()
        assert wire[20:22] == b"\x50\x12"


def test_access_request_message_authenticator_required_and_checked():
    req = Packet(Code.ACCESS_REQUEST, secret=SECRET, message_authenticator=False).add("User-Name", "u")
    plain = decode_packet(req.encode(), SECRET)
    plain.verify_request()
    with pytest.raises(PacketError, match="missing"):
        plain.verify_request(require_message_authenticator=True)
    req.message_authenticator = True
    signed = decode_packet(req.encode(), SECRET)
    signed.verify_request(require_message_authenticator=True)
    with pytest.raises(PacketError, match="Message-Authenticator does not match"):
        decode_packet(req.encode(), b"wrong").verify_request()


def test_status_server_always_needs_message_authenticator():
    unsigned = Packet(Code.STATUS_SERVER, secret=SECRET, message_authenticator=False)
    with pytest.raises(PacketError, match="missing"):
        decode_packet(unsigned.encode(), SECRET).verify_request()
    decode_packet(Packet(Code.STATUS_SERVER, secret=SECRET).encode(), SECRET).verify_request()


def test_reply_checks_identifier_and_code():
    req = Packet(Code.ACCESS_REQUEST, 5, secret=SECRET).add("User-Name", "u")
    req.encode()
    wrong_code = Packet(Code.ACCOUNTING_RESPONSE, 5, secret=SECRET, request_authenticator=req.authenticator)
    with pytest.raises(PacketError, match="does not answer"):
        decode_packet(wrong_code.encode(), SECRET, request=req).verify_reply(req)
    wrong_id = Packet(Code.ACCESS_ACCEPT, 6, secret=SECRET, request_authenticator=req.authenticator)
    with pytest.raises(PacketError, match="identifier"):
        decode_packet(wrong_id.encode(), SECRET, request=req).verify_reply(req)
    no_ma = req.reply(Code.ACCESS_REJECT, message_authenticator=False)
    with pytest.raises(PacketError, match="missing"):
        decode_packet(no_ma.encode(), SECRET, request=req).verify_reply(req, require_message_authenticator=True)


def test_proxy_state_is_copied_into_replies_in_order():
    req = Packet(Code.ACCESS_REQUEST, secret=SECRET).add("Proxy-State", b"a").add("User-Name", "u")
    req.add("Proxy-State", b"b")
    assert req.reply(Code.ACCESS_REJECT).get_all("Proxy-State") == [b"a", b"b"]


def test_typed_values_round_trip():
    accept = Packet(Code.ACCESS_ACCEPT, secret=SECRET, request_authenticator=bytes(16))
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    accept.add("Framed-IP-Address", "10.1.2.3").add("Session-Timeout", 3600).add("Event-Timestamp", when)
    accept.add("Framed-IPv6-Prefix", "2001:db8:1::/48").add("NAS-IPv6-Address", "2001:db8::1")
    accept.add("Framed-Interface-Id", bytes(range(8))).add("Mikrotik-Total-Limit-Gigawords", 2)
    accept.add("Tunnel-Type", "VLAN", tag=1).add("Tunnel-Private-Group-Id", "\x01vlan", tag=1)
    accept.add("Acct-Interim-Interval", 300).add("Framed-Pool", "pool1")
    back = decode_packet(accept.encode(), SECRET, request=Packet(Code.ACCESS_REQUEST, authenticator=bytes(16)))
    assert back.get("Framed-IP-Address") == ipaddress.IPv4Address("10.1.2.3")
    assert back.get("Session-Timeout") == 3600
    assert back.get("Event-Timestamp") == when
    assert back.get("Framed-IPv6-Prefix") == ipaddress.IPv6Network("2001:db8:1::/48")
    assert back.find(0, 97) == bytes([0, 48]) + bytes.fromhex("20010db80001")
    assert back.get("NAS-IPv6-Address") == ipaddress.IPv6Address("2001:db8::1")
    assert back.get("Framed-Interface-Id") == bytes(range(8))
    assert back.get("Mikrotik-Total-Limit-Gigawords") == 2
    assert back.get_tagged("Tunnel-Type") == [(1, 13)]
    assert back.get_tagged("Tunnel-Private-Group-Id") == [(1, "\x01vlan")]
    assert back.get("Framed-Pool") == "pool1"


def test_malformed_values_raise_packet_error_on_access():
    packet = decode_packet(header(2, 20 + 5) + b"\x1b\x05abc")  # Session-Timeout of 3 bytes
    with pytest.raises(PacketError, match="expected 4 bytes"):
        packet.get("Session-Timeout")
    with pytest.raises(PacketError):
        list(packet.items())
    assert packet.describe() == {"Session-Timeout": ["<malformed>"]}
    bad_text = decode_packet(header(1, 20 + 4) + b"\x01\x04\xff\xfe")
    with pytest.raises(PacketError, match="UTF-8"):
        bad_text.get("User-Name")
    bad_prefix = decode_packet(header(2, 20 + 5) + b"\x61\x05\x00\x81\x20")  # prefix length 129
    with pytest.raises(PacketError, match="prefix length"):
        bad_prefix.get("Framed-IPv6-Prefix")


def test_encoding_rejects_values_that_do_not_fit():
    p = Packet(Code.ACCESS_ACCEPT, secret=SECRET, request_authenticator=bytes(16))
    with pytest.raises(ValueError):
        p.add("Session-Timeout", 2**32)
    with pytest.raises(ValueError):
        p.add("Session-Timeout", "forever")
    with pytest.raises(ValueError):
        p.add("Reply-Message", "x" * 254)
    with pytest.raises(ValueError):
        p.add("Mikrotik-Address-List", "x" * 248)
    with pytest.raises(ValueError):
        p.add("Framed-IP-Address", "not-an-ip")
    with pytest.raises(ValueError):
        p.add("User-Name", "u", tag=1)
    with pytest.raises(KeyError):
        p.add("No-Such-Attribute", 1)
    for _ in range(20):
        p.add("Reply-Message", "y" * 250)
    with pytest.raises(ValueError, match="4096"):
        p.encode()


def test_eap_message_is_split_and_joined():
    req = Packet(Code.ACCESS_REQUEST, secret=SECRET).add("EAP-Message", bytes(600))
    assert [len(raw) for v, c, raw in req.attributes if c == 79] == [253, 253, 94]
    assert decode_packet(req.encode(), SECRET).get("EAP-Message") == bytes(600)


def test_user_password_lengths():
    for password in ["", "a", "x" * 16, "y" * 17, "z" * 128]:
        req = Packet(Code.ACCESS_REQUEST, secret=SECRET).add("User-Password", password)
        hidden = req.find(0, 2)
        assert len(hidden) == max(16, -(-len(password) // 16) * 16)
        assert decode_packet(req.encode(), SECRET).get("User-Password") == password
    with pytest.raises(ValueError):
        Packet(Code.ACCESS_REQUEST, secret=SECRET).add("User-Password", "p" * 129)


def test_mppe_keys_are_salt_encrypted_with_unique_salts():
    req = Packet(Code.ACCESS_REQUEST, secret=SECRET)
    req.encode()
    accept = req.reply(Code.ACCESS_ACCEPT)
    accept.add("MS-MPPE-Send-Key", bytes(range(16))).add("MS-MPPE-Recv-Key", bytes(range(16, 32)))
    send, recv = accept.find(311, 16), accept.find(311, 17)
    assert len(send) == 2 + 32 and send[0] & 0x80 and send[:2] != recv[:2]
    assert bytes(range(16)) not in send
    back = decode_packet(accept.encode(), SECRET, request=req)
    assert back.get("MS-MPPE-Send-Key") == bytes(range(16))
    assert back.get("MS-MPPE-Recv-Key") == bytes(range(16, 32))
    # a wrong secret yields garbage (or a PacketError when the length byte does not fit), never the key
    try:
        wrong = decode_packet(accept.encode(), b"other", request=req).get("MS-MPPE-Send-Key")
    except PacketError:
        wrong = None
    assert wrong != bytes(range(16))


def test_describe_never_shows_secrets():
    req = Packet(Code.ACCESS_REQUEST, secret=SECRET).add("User-Name", "alice").add("User-Password", "hunter2")
    req.add("Mikrotik-Wireless-PSK", "psk-value").add_raw(9, 1, b"vendor-secret")
    described = decode_packet(req.encode(), SECRET).describe()
    text = repr(described)
    assert "alice" in text and "hunter2" not in text and "psk-value" not in text and "<hidden>" in text
    assert described["Vendor-9-Attr-1"] == ["<13 bytes>"] and "vendor-secret" not in text


def test_membership_by_name_and_by_raw_key():
    p = Packet(Code.ACCESS_ACCEPT, request_authenticator=bytes(16)).add("Mikrotik-Rate-Limit", "1M/1M")
    p.add_raw(0, 250, b"x")
    assert "Mikrotik-Rate-Limit" in p and (MIKROTIK, 8) in p and (0, 250) in p
    assert "User-Name" not in p and "No-Such-Attribute" not in p and 42 not in p


def test_the_package_imports_without_django():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    code = "import sys, radius.protocol.client, radius.protocol.auth; assert 'django' not in sys.modules, 'django'"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
