"""Our client against Debian's FreeRADIUS 3 server (private configuration on high ports).

FreeRADIUS computes every authenticator, hides every MPPE key and derives MS-CHAPv2 material with
its own code, so a match here means our codec and crypto agree with the implementation RouterOS
deployments use. The set-up installs `freeradius` when missing and skips with the reason when that
is impossible."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess

import pytest

from radius.protocol import Code, Packet, mschap
from radius.protocol.client import (
    RadiusClient,
    access_request,
    access_request_factory,
    run_load,
    run_load_parallel,
)
from radius.protocol.tests.freeradius import freeradius_binary, running_freeradius

SECRET = "freeradius-interop-secret"
USERS = {"alice": "alice-pw", "bob": "bob-pw"}


@pytest.fixture(scope="module")
def freeradius(tmp_path_factory):
    if freeradius_binary() is None:
        apt = shutil.which("apt-get")
        if apt is None or os.geteuid() != 0:
            pytest.skip("FreeRADIUS missing and apt-get unavailable (needs root) to install it")
        done = subprocess.run(
            [apt, "install", "-y", "--no-install-recommends", "freeradius"],
            capture_output=True,
            text=True,
            timeout=600,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
        if freeradius_binary() is None:
            pytest.skip(f"apt-get install freeradius failed: {done.stderr.strip()[-300:]}")
    with running_freeradius(tmp_path_factory.mktemp("freeradius"), SECRET, USERS) as port:
        yield port


def exchange(port: int, packets: list[Packet]) -> list[Packet]:
    async def go():
        # FreeRADIUS 3.2.1 (Debian 12) predates the BlastRADIUS releases and does not sign
        # Accept/Reject, so the Message-Authenticator is checked when present but not required.
        async with RadiusClient("127.0.0.1", port, SECRET.encode(), require_message_authenticator=False) as client:
            return [await client.send(p) for p in packets]

    return asyncio.run(go())


@pytest.mark.parametrize("method", ["pap", "chap", "mschap2"])
def test_accept_and_reject(freeradius, method):
    ok, bad = exchange(
        freeradius,
        [
            access_request("alice", "alice-pw", SECRET.encode(), method=method),
            access_request("alice", "nope", SECRET.encode(), method=method),
        ],
    )
    assert ok.code == Code.ACCESS_ACCEPT and ok.get("Mikrotik-Rate-Limit") == "10M/20M"
    assert bad.code == Code.ACCESS_REJECT


def test_mschap2_success_and_mppe_keys_match_ours(freeradius):
    request = access_request("bob", "bob-pw", SECRET.encode(), method="mschap2")
    (reply,) = exchange(freeradius, [request])
    ours = mschap.verify_mschap2("bob", "bob-pw", request.get("MS-CHAP-Challenge"), request.get("MS-CHAP2-Response"))
    assert ours is not None
    assert reply.get("MS-CHAP2-Success") == ours.success
    assert reply.get("MS-MPPE-Send-Key") == ours.send_key  # salt-decrypted by our codec
    assert reply.get("MS-MPPE-Recv-Key") == ours.recv_key


def test_accounting(freeradius):
    acct = Packet(Code.ACCOUNTING_REQUEST).add("Acct-Status-Type", "Start").add("Acct-Session-Id", "fr-1")
    acct.add("User-Name", "alice")
    (reply,) = exchange(freeradius + 1, [acct])
    assert reply.code == Code.ACCOUNTING_RESPONSE


def test_load_generator_loses_nothing(freeradius):
    report = asyncio.run(
        run_load(
            "127.0.0.1",
            freeradius,
            lambda i: access_request("alice" if i % 2 else "bob", "alice-pw" if i % 2 else "bob-pw", SECRET.encode()),
            total=4000,
            sockets=2,
            require_message_authenticator=False,
        )
    )
    assert report.answered == 4000 and report.lost == 0 and report.invalid == 0, report.summary()
    assert report.codes[Code.ACCESS_ACCEPT] == 4000


def test_parallel_load_generator_merges_worker_reports(freeradius):
    users = [("alice", "alice-pw"), ("bob", "bob-pw"), ("bob", "wrong")]
    report = run_load_parallel(
        2,
        "127.0.0.1",
        freeradius,
        access_request_factory,
        (SECRET.encode(), users),
        total=3001,
        sockets=2,
        require_message_authenticator=False,
    )
    assert report.sent == report.answered == 3001 and report.lost == 0
    assert report.codes[Code.ACCESS_ACCEPT] + report.codes[Code.ACCESS_REJECT] == 3001
    assert 900 < report.codes[Code.ACCESS_REJECT] < 1100
    assert len(report.latencies) == 3001 and report.p99_ms >= report.p50_ms > 0
