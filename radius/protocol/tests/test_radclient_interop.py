"""Interoperability: FreeRADIUS' radclient/radtest (Debian freeradius-utils) against our codec.

radclient encodes requests with its own code and verifies our replies (Response Authenticator,
Message-Authenticator) and decrypts our hidden attributes; we decode and verify its requests. The
set-up installs freeradius-utils when missing and skips with the reason when that is impossible.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from radius.protocol import mschap
from radius.protocol.tests.responder import ResponderState, running_responder

SECRET = "interop-secret-123"


@pytest.fixture(scope="module")
def radclient() -> str:
    path = shutil.which("radclient")
    if path is None:
        apt = shutil.which("apt-get")
        if apt is None or os.geteuid() != 0:
            pytest.skip("radclient missing and apt-get unavailable (needs root) to install freeradius-utils")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        done = subprocess.run(
            [apt, "install", "-y", "--no-install-recommends", "freeradius-utils"],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        path = shutil.which("radclient")
        if path is None:
            pytest.skip(f"apt-get install freeradius-utils failed: {done.stderr.strip()[-300:]}")
    return path


@pytest.fixture
def server():
    state = ResponderState(secret=SECRET.encode(), users={"alice": "alice-pw", "DOMAIN\\bob": "bob-pw"})
    with running_responder(state) as (host, port):
        yield state, f"{host}:{port}"


def run_radclient(radclient: str, target: str, kind: str, attributes: str, secret: str = SECRET) -> str:
    done = subprocess.run(
        [radclient, "-x", "-r", "1", "-t", "2", target, kind, secret],
        input=attributes,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.stdout + done.stderr


def test_pap_accept_with_message_authenticator_both_ways(radclient, server):
    state, target = server
    state.require_message_authenticator = True
    out = run_radclient(
        radclient, target, "auth", "User-Name = alice, User-Password = alice-pw, Message-Authenticator = 0x00"
    )
    assert "Received Access-Accept" in out
    assert 'Mikrotik-Rate-Limit = "10M/20M"' in out
    assert "Message-Authenticator = 0x" in out.split("Received Access-Accept")[1]
    assert state.dropped_bad == 0


def test_pap_wrong_password_is_rejected(radclient, server):
    state, target = server
    out = run_radclient(radclient, target, "auth", "User-Name = alice, User-Password = not-it")
    assert "Received Access-Reject" in out and 'Reply-Message = "wrong password"' in out


def test_unknown_user_is_rejected(radclient, server):
    _, target = server
    out = run_radclient(radclient, target, "auth", "User-Name = mallory, User-Password = x")
    assert "Received Access-Reject" in out and "unknown user" in out


def test_chap_accept(radclient, server):
    state, target = server
    out = run_radclient(radclient, target, "auth", "User-Name = alice, CHAP-Password = alice-pw")
    assert "Received Access-Accept" in out
    assert state.requests[-1].find(0, 3) is not None  # it really was CHAP


def test_radtest_mschap_v1_accept_and_mppe_keys_decrypted_by_radclient(radclient, server):
    _, target = server
    radtest = shutil.which("radtest")
    assert radtest, "freeradius-utils ships radtest with radclient"
    done = subprocess.run(
        [radtest, "-t", "mschap", "alice", "alice-pw", target, "0", SECRET], capture_output=True, text=True, timeout=30
    )
    out = done.stdout + done.stderr
    assert "Received Access-Accept" in out
    keys = re.search(r"MS-CHAP-MPPE-Keys = 0x([0-9a-f]+)", out).group(1)
    hash_hash = mschap.hash_nt_password_hash(mschap.nt_password_hash("alice-pw"))
    assert bytes.fromhex(keys) == bytes(8) + hash_hash
    wrong = subprocess.run(
        [radtest, "-t", "mschap", "alice", "nope", target, "0", SECRET], capture_output=True, text=True, timeout=30
    )
    assert "Received Access-Reject" in wrong.stdout + wrong.stderr


def test_mschap2_accept_success_and_mppe_keys_as_radclient_decrypts_them(radclient, server):
    _, target = server
    challenge, peer = os.urandom(16), os.urandom(16)
    response = mschap.mschap2_client_response("DOMAIN\\bob", "bob-pw", challenge, peer, ident=9)
    out = run_radclient(
        radclient,
        target,
        "auth",
        f'User-Name = "DOMAIN\\\\bob", MS-CHAP-Challenge = 0x{challenge.hex()}, '
        f"MS-CHAP2-Response = 0x{response.hex()}, Message-Authenticator = 0x00",
    )
    assert "Received Access-Accept" in out, out
    expected = mschap.verify_mschap2("DOMAIN\\bob", "bob-pw", challenge, response)
    assert expected is not None
    assert re.search(r"MS-CHAP2-Success = 0x([0-9a-f]+)", out).group(1) == expected.success.hex()
    assert re.search(r"MS-MPPE-Send-Key = 0x([0-9a-f]+)", out).group(1) == expected.send_key.hex()
    assert re.search(r"MS-MPPE-Recv-Key = 0x([0-9a-f]+)", out).group(1) == expected.recv_key.hex()
    bad = mschap.mschap2_client_response("DOMAIN\\bob", "wrong", challenge, peer, ident=9)
    out = run_radclient(
        radclient,
        target,
        "auth",
        f'User-Name = "DOMAIN\\\\bob", MS-CHAP-Challenge = 0x{challenge.hex()}, MS-CHAP2-Response = 0x{bad.hex()}',
    )
    assert "Received Access-Reject" in out and "MS-CHAP-Error" in out


def test_accounting_request_authenticator_verified(radclient, server):
    state, target = server
    out = run_radclient(
        radclient, target, "acct", 'User-Name = alice, Acct-Status-Type = Start, Acct-Session-Id = "s-1"'
    )
    assert "Received Accounting-Response" in out
    assert state.requests[-1].get("Acct-Session-Id") == "s-1" and state.dropped_bad == 0


def test_wrong_secret_fails_on_both_sides(radclient, server):
    state, target = server
    # radclient signs with another secret: its Message-Authenticator fails our check, nothing is answered
    out = run_radclient(
        radclient, target, "auth", "User-Name = alice, User-Password = alice-pw, Message-Authenticator = 0x00", "bad"
    )
    assert "Received Access-Accept" not in out and state.dropped_bad == 1
    # without Message-Authenticator we answer, and radclient refuses our reply as not signed with its secret
    out = run_radclient(radclient, target, "auth", "User-Name = alice, User-Password = alice-pw", "bad")
    assert "Received Access-Accept" not in out and "Reply verification failed" in out
