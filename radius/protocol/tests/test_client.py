"""The asyncio client and load generator against our codec answering on a real UDP socket."""

from __future__ import annotations

import asyncio
import socket

import pytest

from radius.protocol import Code, Packet, decode_packet
from radius.protocol.client import RadiusClient, RadiusTimeout, access_request, run_load
from radius.protocol.tests.responder import ResponderState, running_responder

SECRET = b"client-test-secret"
USERS = {"alice": "alice-pw", "bob": "bob-pw"}


@pytest.fixture
def state():
    return ResponderState(secret=SECRET, users=dict(USERS), require_message_authenticator=True)


async def _send_all(host, port, packets, **kw):
    async with RadiusClient(host, port, SECRET, **kw) as client:
        replies = [await client.send(p) for p in packets]
        return replies, client.stats


@pytest.mark.parametrize("method", ["pap", "chap", "mschap2"])
def test_accept_and_reject(state, method):
    with running_responder(state) as (host, port):
        good = access_request("alice", "alice-pw", SECRET, method=method, NAS_IP_Address="10.0.0.1")
        bad = access_request("alice", "wrong", SECRET, method=method)
        (ok, nok), stats = asyncio.run(_send_all(host, port, [good, bad]))
    assert ok.code == Code.ACCESS_ACCEPT and ok.get("Mikrotik-Rate-Limit") == "10M/20M"
    assert nok.code == Code.ACCESS_REJECT and nok.get("Reply-Message") == "wrong password"
    assert stats.answered == 2 and stats.invalid == 0
    if method == "mschap2":
        assert ok.get("MS-CHAP2-Success").startswith(b"\x01S=") and len(ok.get("MS-MPPE-Send-Key")) == 16
        assert b"E=691" in nok.get("MS-CHAP-Error")


def test_accounting_status_coa_and_disconnect(state):
    with running_responder(state) as (host, port):
        acct = Packet(Code.ACCOUNTING_REQUEST).add("Acct-Status-Type", "Start").add("Acct-Session-Id", "a1")
        status = Packet(Code.STATUS_SERVER)
        coa = Packet(Code.COA_REQUEST).add("Mikrotik-Rate-Limit", "1M/1M")
        disconnect = Packet(Code.DISCONNECT_REQUEST).add("Acct-Session-Id", "a1")
        replies, _ = asyncio.run(_send_all(host, port, [acct, status, coa, disconnect]))
    assert [r.code for r in replies] == [
        Code.ACCOUNTING_RESPONSE,
        Code.ACCESS_ACCEPT,
        Code.COA_ACK,
        Code.DISCONNECT_ACK,
    ]
    assert state.dropped_bad == 0


def test_retransmits_the_same_bytes_after_a_lost_packet(state):
    state.drop_first = 2
    with running_responder(state) as (host, port):
        (reply,), stats = asyncio.run(
            _send_all(host, port, [access_request("bob", "bob-pw", SECRET)], timeout=0.5, retries=4)
        )
    assert reply.code == Code.ACCESS_ACCEPT
    # two copies were dropped; a slow machine may add one more retransmission, never a new request
    assert stats.retransmitted >= 2 and state.received == stats.retransmitted + 1
    assert len(set(state.datagrams)) == 1


def test_timeout_when_nobody_answers():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))  # a port that swallows everything
    try:
        with pytest.raises(RadiusTimeout):
            asyncio.run(
                _send_all(
                    "127.0.0.1", sock.getsockname()[1], [access_request("a", "b", SECRET)], timeout=0.1, retries=1
                )
            )
    finally:
        sock.close()


def test_requests_signed_with_another_secret_get_no_answer(state):
    state.secret = b"not-the-client-secret"
    with running_responder(state) as (host, port):

        async def go():
            async with RadiusClient(host, port, SECRET, timeout=0.2, retries=0) as client:
                with pytest.raises(RadiusTimeout):
                    await client.send(Packet(Code.ACCOUNTING_REQUEST).add("Acct-Session-Id", "x"))
                return client.stats

        stats = asyncio.run(go())
    assert stats.answered == 0 and state.dropped_bad == 1  # the responder refused our authenticator


class _BlindAnswerer(asyncio.DatagramProtocol):
    """Answers every Access-Request with an Accept signed by `secret`, with or without Message-Authenticator."""

    def __init__(self, secret: bytes, with_ma: bool) -> None:
        self.secret, self.with_ma = secret, with_ma

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        req = decode_packet(data, self.secret)
        self.transport.sendto(req.reply(Code.ACCESS_ACCEPT, message_authenticator=self.with_ma).encode(), addr)


def _ask_blind(secret: bytes, with_ma: bool, require: bool, timeout: float = 1.0) -> tuple[Code | None, int]:
    async def go():
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _BlindAnswerer(secret, with_ma), local_addr=("127.0.0.1", 0)
        )
        port = transport.get_extra_info("sockname")[1]
        try:
            async with RadiusClient(
                "127.0.0.1", port, SECRET, timeout=timeout, retries=0, require_message_authenticator=require
            ) as client:
                try:
                    return (await client.send(access_request("a", "b", SECRET))).code, client.stats.invalid
                except RadiusTimeout:
                    return None, client.stats.invalid
        finally:
            transport.close()

    return asyncio.run(go())


def test_replies_signed_with_another_secret_are_ignored():
    assert _ask_blind(b"forger-secret", with_ma=True, require=False, timeout=0.3) == (None, 1)
    assert _ask_blind(b"forger-secret", with_ma=False, require=False, timeout=0.3) == (None, 1)
    assert _ask_blind(SECRET, with_ma=True, require=True) == (Code.ACCESS_ACCEPT, 0)


def test_reply_without_message_authenticator_is_refused_by_default():
    """A pre-BlastRADIUS server that omits Message-Authenticator: refused unless explicitly allowed."""
    assert _ask_blind(SECRET, with_ma=False, require=True, timeout=0.3) == (None, 1)
    assert _ask_blind(SECRET, with_ma=False, require=False) == (Code.ACCESS_ACCEPT, 0)


def test_load_mode_counts_answers_latency_and_nothing_lost(state):
    users = list(USERS.items())

    def make(i: int) -> Packet:
        name, password = users[i % len(users)]
        return access_request(name, password if i % 10 else "wrong", SECRET)

    with running_responder(state) as (host, port):
        report = asyncio.run(run_load(host, port, make, total=3000, sockets=3, in_flight=64, timeout=2.0))
    assert report.sent == 3000 and report.answered == 3000 and report.lost == 0 and report.invalid == 0
    assert report.codes[Code.ACCESS_ACCEPT] == 2700 and report.codes[Code.ACCESS_REJECT] == 300
    assert 0 < report.p50_ms <= report.p99_ms and report.rate > 0
    assert sum(n for _, n in report.histogram()) == 3000
    assert "lost=0" in report.summary()


def test_load_mode_counts_lost_packets(state):
    state.drop_every = 10
    with running_responder(state) as (host, port):
        report = asyncio.run(
            run_load(
                host,
                port,
                lambda i: access_request("alice", "alice-pw", SECRET),
                total=500,
                sockets=2,
                in_flight=32,
                timeout=1.0,
            )
        )
    assert report.sent == 500
    assert report.lost == 50 and report.answered == 450


def test_load_mode_by_duration(state):
    with running_responder(state) as (host, port):
        report = asyncio.run(
            run_load(host, port, lambda i: access_request("bob", "bob-pw", SECRET), duration=0.5, sockets=2)
        )
    assert report.answered == report.sent > 0 and report.lost == 0
    assert 0.5 <= report.duration < 5
