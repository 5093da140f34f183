"""PAP, CHAP, MS-CHAP v1/v2 and TOTP checks on real encoded requests."""

from __future__ import annotations

import hashlib
import os

import pytest

from radius.protocol import Code, Packet, decode_packet, mschap
from radius.protocol.auth import authenticate, check_chap, check_pap, detect_method, totp, verify_totp
from radius.protocol.client import access_request

SECRET = b"auth-test-secret"


def wire(packet: Packet) -> Packet:
    """What the server sees: the request after encode and decode."""
    return decode_packet(packet.encode(), SECRET)


def test_pap_accepts_the_right_password_only():
    req = wire(access_request("alice", "pässword", SECRET))
    assert detect_method(req) == "pap"
    assert check_pap(req, "pässword") and not check_pap(req, "password")
    assert authenticate(req, "pässword").accepted
    result = authenticate(req, "other")
    assert not result.accepted and result.reason == "wrong password"


def test_chap_with_chap_challenge_and_with_request_authenticator():
    req = wire(access_request("bob", "chap-pass", SECRET, method="chap"))
    assert detect_method(req) == "chap" and check_chap(req, "chap-pass") and not check_chap(req, "x")
    # RFC 2865 2.2: without CHAP-Challenge the Request Authenticator is the challenge
    raw = Packet(Code.ACCESS_REQUEST, secret=SECRET).add("User-Name", "bob")
    digest = hashlib.md5(b"\x05" + b"chap-pass" + raw.authenticator).digest()
    raw.add("CHAP-Password", b"\x05" + digest)
    assert check_chap(wire(raw), "chap-pass")
    malformed = Packet(Code.ACCESS_REQUEST, secret=SECRET).add("CHAP-Password", b"short")
    assert not check_chap(wire(malformed), "chap-pass")


def test_mschap2_accept_carries_success_and_mppe_keys_that_decrypt():
    req_packet = access_request("carol", "ms-pass", SECRET, method="mschap2")
    req = wire(req_packet)
    result = authenticate(req, "ms-pass")
    assert result.accepted and result.method == "mschap2"
    accept = req.reply(Code.ACCESS_ACCEPT)
    for name, value in result.reply:
        accept.add(name, value)
    nas_view = decode_packet(accept.encode(), SECRET, request=req_packet)
    nas_view.verify_reply(req_packet, require_message_authenticator=True)
    success = nas_view.get("MS-CHAP2-Success")
    challenge = req.get("MS-CHAP-Challenge")
    response = req.get("MS-CHAP2-Response")
    pw_hash = mschap.nt_password_hash("ms-pass")
    expected = mschap.generate_authenticator_response(pw_hash, response[26:], response[2:18], challenge, "carol")
    assert success == bytes([response[0]]) + expected.encode()
    # the PPP client derives the same keys from its side of the exchange
    master = mschap.master_key(mschap.hash_nt_password_hash(pw_hash), response[26:])
    assert nas_view.get("MS-MPPE-Send-Key") == mschap.asymmetric_start_key(master, 16, is_send=False, is_server=False)
    assert nas_view.get("MS-MPPE-Recv-Key") == mschap.asymmetric_start_key(master, 16, is_send=True, is_server=False)
    assert nas_view.get("MS-MPPE-Encryption-Policy") == 1 and nas_view.get("MS-MPPE-Encryption-Types") == 6


def test_mschap2_reject_carries_ms_chap_error_691():
    req = wire(access_request("carol", "wrong", SECRET, method="mschap2"))
    result = authenticate(req, "ms-pass")
    assert not result.accepted
    ((name, value),) = result.reply
    assert name == "MS-CHAP-Error" and b"E=691 R=0" in value and value[0] == 1


def test_mschap1_accept_and_reject():
    challenge = os.urandom(8)
    nt = mschap.challenge_response(challenge, mschap.nt_password_hash("v1-pass"))
    req = Packet(Code.ACCESS_REQUEST, secret=SECRET).add("User-Name", "dave")
    req.add("MS-CHAP-Challenge", challenge).add("MS-CHAP-Response", bytes([3, 1]) + bytes(24) + nt)
    req = wire(req)
    assert detect_method(req) == "mschap1"
    ok = authenticate(req, "v1-pass")
    assert ok.accepted and dict(ok.reply)["MS-CHAP-MPPE-Keys"][8:] == mschap.hash_nt_password_hash(
        mschap.nt_password_hash("v1-pass")
    )
    assert not authenticate(req, "other").accepted


def test_group_allowed_methods():
    req = wire(access_request("alice", "pw", SECRET, method="chap"))
    result = authenticate(req, "pw", allowed=["pap", "mschap2"])
    assert not result.accepted and "chap not allowed" in result.reason
    assert authenticate(req, "pw", allowed=["chap"]).accepted


def test_no_credentials_is_rejected_with_a_reason():
    req = wire(Packet(Code.ACCESS_REQUEST, secret=SECRET).add("User-Name", "x"))
    result = authenticate(req, "pw")
    assert not result.accepted and result.method is None and "no supported" in result.reason


def test_totp_rfc6238_sha1_vectors():
    secret = b"12345678901234567890"
    for at, code in [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ]:
        assert totp(secret, at, digits=8) == code


def test_totp_window():
    secret = os.urandom(20)
    now = 1_800_000_000.0
    assert verify_totp(secret, totp(secret, now), now=now) == int(now // 30)
    assert verify_totp(secret, totp(secret, now - 30), now=now) == int(now // 30) - 1
    assert verify_totp(secret, totp(secret, now + 30), now=now) == int(now // 30) + 1
    assert verify_totp(secret, totp(secret, now - 90), now=now) is None
    assert verify_totp(secret, "12ab56", now=now) is None


@pytest.mark.parametrize("method", ["pap", "chap", "mschap2"])
def test_password_plus_otp(method):
    otp_secret = os.urandom(20)
    now = 1_800_000_000.0
    good = wire(access_request("erin", "base" + totp(otp_secret, now - 30), SECRET, method=method))
    result = authenticate(good, "base", otp_secret=otp_secret, now=now)
    assert result.accepted and result.otp_counter == int(now // 30) - 1
    stale = wire(access_request("erin", "base" + totp(otp_secret, now - 300), SECRET, method=method))
    assert not authenticate(stale, "base", otp_secret=otp_secret, now=now).accepted
    wrong_pw = wire(access_request("erin", "bad!" + totp(otp_secret, now), SECRET, method=method))
    assert not authenticate(wrong_pw, "base", otp_secret=otp_secret, now=now).accepted
    no_otp = wire(access_request("erin", "base", SECRET, method=method))
    assert not authenticate(no_otp, "base", otp_secret=otp_secret, now=now).accepted
