"""A NAS of one tenant never authenticates another tenant's user, even with the same name;
packets from unknown addresses are dropped without an answer."""

from __future__ import annotations

from radius.protocol.client import access_request
from radius.protocol.packet import Code
from radius.server.tests.conftest import NAS_B, SECRET_A, SECRET_B, STRANGER, exchange


def test_same_username_resolves_to_the_nas_tenant(running):
    port = running.server.auth_port
    # acme's NAS: acme's "shared" (acme-pw) only
    assert exchange(access_request("shared", "acme-pw", SECRET_A.encode()), port).code == Code.ACCESS_ACCEPT
    assert exchange(access_request("shared", "globex-pw", SECRET_A.encode()), port).code == Code.ACCESS_REJECT
    # globex's NAS: globex's "shared" only
    assert exchange(access_request("shared", "globex-pw", SECRET_B.encode()), port, NAS_B).code == Code.ACCESS_ACCEPT
    assert exchange(access_request("shared", "acme-pw", SECRET_B.encode()), port, NAS_B).code == Code.ACCESS_REJECT


def test_other_tenants_user_is_not_found(running):
    port = running.server.auth_port
    reply = exchange(access_request("onlyb", "onlyb-pw", SECRET_A.encode()), port)
    assert reply.code == Code.ACCESS_REJECT
    assert exchange(access_request("onlyb", "onlyb-pw", SECRET_B.encode()), port, NAS_B).code == Code.ACCESS_ACCEPT


def test_unknown_nas_is_dropped_and_counted(running):
    before = running.server.stats.unknown_nas
    packet = access_request("alice", "alice-pw", SECRET_A.encode())
    assert exchange(packet, running.server.auth_port, STRANGER, timeout=0.5) is None
    assert running.server.stats.unknown_nas == before + 1


def test_wrong_secret_and_missing_message_authenticator_are_dropped(running):
    port = running.server.auth_port
    before = running.server.stats.invalid
    wrong = access_request("alice", "alice-pw", b"not-the-secret")
    assert exchange(wrong, port, timeout=0.5) is None
    bare = access_request("alice", "alice-pw", SECRET_A.encode())
    bare.message_authenticator = False  # BlastRADIUS: the NAS requires it by default
    assert exchange(bare, port, timeout=0.5) is None
    assert running.server.stats.invalid == before + 2
