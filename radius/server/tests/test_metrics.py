"""RADIUS packet counts reach /metrics: counted in process, flushed to Redis, summed at scrape."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from radius.protocol.client import access_request
from radius.protocol.packet import Code, Packet
from radius.server.tests.conftest import NAS_A, SECRET_A, STRANGER, exchange


def radius_samples(client, transport: str = "udp") -> dict:
    """{(type, result): n} of mikman_radius_packets_total over `transport` and the auth latency
    count, one scrape."""
    response = client.get("/metrics")
    assert response.status_code == 200
    counts, latency = {}, 0.0
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name == "mikman_radius_packets_total" and sample.labels["transport"] == transport:
                counts[(sample.labels["type"], sample.labels["result"])] = sample.value
            elif sample.name == "mikman_radius_auth_duration_seconds_count":
                latency = sample.value
    return {"packets": counts, "latency_count": latency}


def wait_for(client, predicate, timeout: float = 10.0, transport: str = "udp") -> dict:
    deadline = time.monotonic() + timeout
    while True:
        got = radius_samples(client, transport)
        if predicate(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_packets_by_type_and_result_are_exposed(running, client):
    port = running.server.auth_port
    before = radius_samples(client)
    for _ in range(3):
        assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), port).code == Code.ACCESS_ACCEPT
    for _ in range(2):
        assert exchange(access_request("alice", "wrong-pw", SECRET_A.encode()), port).code == Code.ACCESS_REJECT
    # from an address that is no NAS: dropped without a reply, counted
    assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), port, source=STRANGER, timeout=0.3) is None
    # the right NAS, the wrong secret: the Message-Authenticator fails, dropped
    forged = access_request("alice", "alice-pw", b"not-the-secret")
    assert exchange(forged, port, source=NAS_A, timeout=0.3) is None
    status = Packet(Code.STATUS_SERVER, secret=SECRET_A.encode())
    assert exchange(status, port) is not None

    def delta(samples, key):
        return samples["packets"].get(key, 0) - before["packets"].get(key, 0)

    expected = {
        ("access", "accept"): 3,
        ("access", "reject"): 2,
        ("auth", "dropped_unknown_nas"): 1,
        ("auth", "dropped_bad_authenticator"): 1,
        ("status_server", "auth"): 1,
    }
    after = wait_for(client, lambda s: all(delta(s, k) >= n for k, n in expected.items()))
    assert {k: delta(after, k) for k in expected} == expected
    assert after["latency_count"] - before["latency_count"] == 5  # one per decided Access-Request
