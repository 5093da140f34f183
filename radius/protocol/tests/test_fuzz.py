"""Fuzzing the decoder: whatever arrives, the codec raises nothing but PacketError, terminates, and
allocates in proportion to the (≤ 4096-byte) packet."""

from __future__ import annotations

import time
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radius.protocol import Code, Packet, PacketError, decode_packet

SECRET = b"fuzz-secret"
REQUEST = Packet(Code.ACCESS_REQUEST, secret=SECRET)
CODES = [c.value for c in Code]


def exercise(data: bytes) -> None:
    """Everything the server does with an untrusted datagram; only PacketError may escape."""
    try:
        packet = decode_packet(data, SECRET, request=REQUEST)
    except PacketError:
        return
    packet.describe()
    for call in (
        lambda: list(packet.items()),
        lambda: packet.verify_request(require_message_authenticator=True),
        lambda: packet.verify_reply(REQUEST, require_message_authenticator=True),
        lambda: [packet.get_bytes(n) for n in ("User-Password", "Tunnel-Password", "MS-MPPE-Send-Key")],
        lambda: packet.get_tagged("Tunnel-Type"),
    ):
        try:
            call()
        except PacketError:
            pass
    # What decodes re-encodes to a packet that decodes to the same attributes.
    again = Packet(packet.code, packet.identifier, authenticator=packet.authenticator, message_authenticator=False)
    again.attributes = list(packet.attributes)
    if packet.code not in (
        Code.ACCESS_REQUEST,
        Code.STATUS_SERVER,
        Code.ACCOUNTING_REQUEST,
        Code.COA_REQUEST,
        Code.DISCONNECT_REQUEST,
    ):
        again.request_authenticator = bytes(16)
    assert decode_packet(again.encode(), SECRET).attributes == packet.attributes


attribute = st.one_of(
    st.tuples(st.integers(1, 255), st.binary(max_size=40)).map(lambda t: bytes([t[0], len(t[1]) + 2]) + t[1]),
    # vendor-specific with sub-attributes, some broken
    st.tuples(st.integers(0, 2**32 - 1), st.binary(max_size=40)).map(
        lambda t: bytes([26, len(t[1]) + 6]) + t[0].to_bytes(4, "big") + t[1]
    ),
    st.sampled_from(
        [
            bytes([26, 15]) + (14988).to_bytes(4, "big") + bytes([8, 9]) + b"10M/20M",
            bytes([80, 18]) + bytes(16),
            bytes([64, 6, 1, 0, 0, 13]),
            bytes([97, 4, 0, 200]),
            bytes([2, 18]) + bytes(16),
            bytes([69, 21, 0, 0x99, 0x73]) + bytes(16),
        ]
    ),
)


@st.composite
def packets(draw) -> bytes:
    attrs = b"".join(draw(st.lists(attribute, max_size=30)))
    code = draw(st.sampled_from(CODES + [0, 6, 255]))
    body = attrs[: 4096 - 20]
    data = bytes([code, draw(st.integers(0, 255))]) + (20 + len(body)).to_bytes(2, "big")
    return data + draw(st.binary(min_size=16, max_size=16)) + body


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(packets()))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.integers(0, 3))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == 0 and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == 1:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == 2:
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            data = data[:pos]
    return bytes(data)


FUZZ = settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=4200))
def test_random_bytes(data):
    exercise(data)


@FUZZ
@given(packets())
def test_structured_packets(data):
    exercise(data)


@FUZZ
@given(mutated())
def test_mutated_packets(data):
    exercise(data)


def test_worst_case_packet_is_bounded_in_time_and_memory():
    # 2038 empty attributes (the most a 4096-byte packet can hold) and 2038 empty VSAs.
    for attr in (b"\x01\x02", b"\x1a\x02"):
        body = attr * ((4096 - 20) // 2)
        data = bytes([1, 0]) + (20 + len(body)).to_bytes(2, "big") + bytes(16) + body
        tracemalloc.start()
        started = time.perf_counter()
        exercise(data)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < 2.0
        assert peak < 4 * 1024 * 1024
