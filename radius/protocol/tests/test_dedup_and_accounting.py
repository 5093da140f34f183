"""RFC 5080 duplicate cache and accounting usage with gigawords."""

from __future__ import annotations

import pytest

from radius.protocol import Code, Packet, decode_packet
from radius.protocol.accounting import split_gigawords, usage
from radius.protocol.dedup import IN_PROGRESS, DuplicateCache, request_key

SECRET = b"acct-secret"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_retransmission_gets_the_cached_reply_and_new_requests_do_not():
    clock = FakeClock()
    cache = DuplicateCache(ttl=30, clock=clock)
    req = Packet(Code.ACCESS_REQUEST, 7, secret=SECRET).add("User-Name", "u").encode()
    key = request_key(("10.0.0.1", 5000), req)
    assert cache.begin(key) is None
    assert cache.begin(key) is IN_PROGRESS  # duplicate while the first is being processed
    cache.finish(key, b"reply-bytes")
    assert cache.begin(key) == b"reply-bytes"
    # same identifier, new authenticator: a new request; other source port: a different NAS socket
    other = Packet(Code.ACCESS_REQUEST, 7, secret=SECRET).add("User-Name", "u").encode()
    assert cache.begin(request_key(("10.0.0.1", 5000), other)) is None
    assert cache.begin(request_key(("10.0.0.1", 5001), req)) is None
    clock.now = 31
    assert cache.begin(key) is None  # expired: processed again


def test_unanswered_requests_are_forgotten_and_memory_is_bounded():
    cache = DuplicateCache(max_entries=3, clock=FakeClock())
    keys = [("10.0.0.1", 1, 1, i, bytes(16)) for i in range(5)]
    for key in keys:
        cache.begin(key)
    assert len(cache) == 3 and cache.begin(keys[4]) is IN_PROGRESS and cache.begin(keys[0]) is None
    cache.finish(keys[4], None)
    assert cache.begin(keys[4]) is None


def test_usage_folds_gigawords():
    acct = Packet(Code.ACCOUNTING_REQUEST, secret=SECRET)
    acct.add("Acct-Status-Type", "Interim-Update").add("Acct-Session-Id", "81a00001")
    acct.add("Acct-Input-Octets", 5).add("Acct-Input-Gigawords", 2)
    acct.add("Acct-Output-Octets", 2**32 - 1).add("Acct-Session-Time", 3600)
    got = usage(decode_packet(acct.encode(), SECRET))
    assert got.status == "interim" and got.session_id == "81a00001"
    assert got.input_octets == 2 * 2**32 + 5 and got.output_octets == 2**32 - 1
    assert got.session_time == 3600 and got.terminate_cause is None
    stop = Packet(Code.ACCOUNTING_REQUEST, secret=SECRET).add("Acct-Status-Type", "Stop")
    stop.add("Acct-Terminate-Cause", "Admin-Reset")
    assert usage(stop).status == "stop" and usage(stop).terminate_cause == 6 and usage(stop).input_octets == 0


def test_split_gigawords():
    assert split_gigawords(10 * 2**30) == (2, 2**31)
    assert split_gigawords(5) == (0, 5)
    with pytest.raises(ValueError):
        split_gigawords(2**64)
