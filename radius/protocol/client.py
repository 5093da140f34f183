"""Asyncio RADIUS client: single requests with retries, and a load generator.

Every reply is checked before it is believed: identifier, code, Response Authenticator and
Message-Authenticator (required by default in Access-* replies, BlastRADIUS). A reply that fails
is counted and ignored, so a forged or stale datagram cannot complete a request.

The load mode is what `bench/radius.py` and the server tests use: several UDP sockets (a RADIUS
identifier is one byte, so one socket can have at most 256 requests in flight; we keep ≤128 so a
late reply is not mistaken for the next request with a reused identifier), closed-loop refill, a
latency record for percentiles and a lost-packet count.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import multiprocessing
import os
import socket
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from radius.protocol import mschap
from radius.protocol.dictionary import DEFAULT_DICTIONARY, Dictionary
from radius.protocol.errors import PacketError
from radius.protocol.packet import Code, Packet, decode_packet

MAX_IN_FLIGHT_PER_SOCKET = 128
_ACCESS_REPLIES = frozenset({Code.ACCESS_ACCEPT, Code.ACCESS_REJECT, Code.ACCESS_CHALLENGE})


def _grow_receive_buffer(transport: asyncio.DatagramTransport, size: int = 4 * 1024 * 1024) -> None:
    """Room for a full burst of replies (the kernel caps this at net.core.rmem_max)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


class RadiusTimeout(TimeoutError):
    """No valid reply after all retries."""


def access_request(
    username: str,
    password: str,
    secret: bytes,
    *,
    method: str = "pap",
    dictionary: Dictionary = DEFAULT_DICTIONARY,
    **attributes: object,
) -> Packet:
    """An Access-Request as a NAS would build it for `method` pap, chap or mschap2.

    Extra attributes are given with underscores for dashes (`NAS_IP_Address="10.0.0.1"`)."""
    packet = Packet(Code.ACCESS_REQUEST, secret=secret, dictionary=dictionary)
    packet.add("User-Name", username)
    if method == "pap":
        packet.add("User-Password", password)
    elif method == "chap":
        import hashlib

        ident = os.urandom(1)
        challenge = os.urandom(16)
        digest = hashlib.md5(ident + password.encode() + challenge, usedforsecurity=False).digest()
        packet.add("CHAP-Password", ident + digest)
        packet.add("CHAP-Challenge", challenge)
    elif method == "mschap2":
        challenge = os.urandom(16)
        response = mschap.mschap2_client_response(username, password, challenge, os.urandom(16), ident=1)
        packet.add("MS-CHAP-Challenge", challenge)
        packet.add("MS-CHAP2-Response", response)
    else:
        raise ValueError(f"unknown method {method!r}")
    for name, value in attributes.items():
        packet.add(name.replace("_", "-"), value)
    return packet


def access_request_factory(
    secret: bytes, users: list[tuple[str, str]], method: str = "pap", worker_index: int = 0, **attributes: object
) -> Callable[[int], Packet]:
    """A `make_request` for `run_load`: request i authenticates user (i + offset) mod len(users).

    Module-level so `run_load_parallel` can pass it to worker processes."""
    offset = worker_index * 7919  # a prime stride: workers start on different users

    def make_request(i: int) -> Packet:
        name, password = users[(i + offset) % len(users)]
        return access_request(name, password, secret, method=method, **attributes)

    return make_request


def check_reply(reply_data: bytes, request: Packet, *, require_message_authenticator: bool) -> Packet:
    """Decode and verify a reply datagram against its request; PacketError when it does not fit."""
    reply = decode_packet(reply_data, request.secret, request=request, dictionary=request.dictionary)
    require = require_message_authenticator and reply.code in _ACCESS_REPLIES
    reply.verify_reply(request, require_message_authenticator=require)
    return reply


@dataclass
class ClientStats:
    sent: int = 0
    retransmitted: int = 0
    answered: int = 0
    invalid: int = 0  # replies that failed verification or matched no request
    timeouts: int = 0


class _ClientProtocol(asyncio.DatagramProtocol):
    def __init__(self, client: RadiusClient) -> None:
        self.client = client
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: dict[int, tuple[Packet, asyncio.Future[Packet]]] = {}
        self.slots = asyncio.Semaphore(client.max_in_flight)
        self.next_id = itertools.cycle(range(256))

    def connection_made(self, transport) -> None:
        self.transport = transport
        _grow_receive_buffer(transport)

    def datagram_received(self, data: bytes, addr) -> None:
        stats = self.client.stats
        entry = self.pending.get(data[1]) if len(data) >= 20 else None
        if entry is None:
            stats.invalid += 1
            return
        request, future = entry
        try:
            reply = check_reply(data, request, require_message_authenticator=self.client.require_message_authenticator)
        except PacketError:
            stats.invalid += 1
            return
        if not future.done():
            stats.answered += 1
            future.set_result(reply)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable etc.: retries handle it
        pass

    def allocate_id(self) -> int:
        for _ in range(256):
            ident = next(self.next_id)
            if ident not in self.pending:
                return ident
        raise RuntimeError("no free RADIUS identifier")  # pragma: no cover - slots keep this impossible


class RadiusClient:
    """`async with RadiusClient(host, port, secret) as c: reply = await c.send(packet)`."""

    def __init__(
        self,
        host: str,
        port: int,
        secret: bytes,
        *,
        timeout: float = 2.0,
        retries: int = 2,
        sockets: int = 1,
        max_in_flight: int = MAX_IN_FLIGHT_PER_SOCKET,
        require_message_authenticator: bool = True,
        dictionary: Dictionary = DEFAULT_DICTIONARY,
        source: str | None = None,
    ) -> None:
        if not 1 <= max_in_flight <= MAX_IN_FLIGHT_PER_SOCKET:
            raise ValueError(f"max_in_flight must be 1..{MAX_IN_FLIGHT_PER_SOCKET}")
        self.address = (host, port)
        self.secret = secret
        self.timeout = timeout
        self.retries = retries
        self.max_in_flight = max_in_flight
        self.require_message_authenticator = require_message_authenticator
        self.dictionary = dictionary
        # a NAS is told apart by its source address: a simulated one sends from its own 127.x.y.z
        self.source = source
        self.stats = ClientStats()
        self._socket_count = sockets
        self._sockets: list[_ClientProtocol] = []
        self._rr = 0

    async def __aenter__(self) -> RadiusClient:
        await self.open()
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(self._socket_count):
            local = (self.source, 0) if self.source else None
            _, proto = await loop.create_datagram_endpoint(
                lambda: _ClientProtocol(self), remote_addr=self.address, local_addr=local
            )
            self._sockets.append(proto)

    def close(self) -> None:
        for proto in self._sockets:
            if proto.transport is not None:
                proto.transport.close()
        self._sockets.clear()

    def new(self, code: int) -> Packet:
        """An empty request carrying this client's secret and dictionary."""
        return Packet(code, secret=self.secret, dictionary=self.dictionary)

    async def send(self, packet: Packet) -> Packet:
        """Send a request and return its verified reply; RadiusTimeout after all retries.

        Retransmissions repeat the same bytes (same identifier and authenticator), so a server's
        duplicate cache (RFC 5080) recognises them."""
        if not self._sockets:
            raise RuntimeError("client is not open")
        proto = self._sockets[self._rr % len(self._sockets)]
        self._rr += 1
        async with proto.slots:
            packet.identifier = proto.allocate_id()
            if not packet.secret:
                packet.secret = self.secret
            data = packet.encode()
            future: asyncio.Future[Packet] = asyncio.get_running_loop().create_future()
            proto.pending[packet.identifier] = (packet, future)
            try:
                for attempt in range(self.retries + 1):
                    assert proto.transport is not None
                    proto.transport.sendto(data)
                    if attempt:
                        self.stats.retransmitted += 1
                    else:
                        self.stats.sent += 1
                    try:
                        return await asyncio.wait_for(asyncio.shield(future), self.timeout)
                    except TimeoutError:
                        continue
                self.stats.timeouts += 1
                raise RadiusTimeout(f"no valid reply from {self.address[0]}:{self.address[1]}")
            finally:
                proto.pending.pop(packet.identifier, None)
                if not future.done():
                    future.cancel()


# --- load generator -----------------------------------------------------------------------------
@dataclass
class LoadReport:
    sent: int = 0
    answered: int = 0
    lost: int = 0  # no valid reply within the timeout
    invalid: int = 0  # replies that failed verification or came late
    duration: float = 0.0
    codes: collections.Counter = field(default_factory=collections.Counter)
    latencies: array = field(default_factory=lambda: array("d"))  # seconds, one per answered request

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return self.answered / self.duration if self.duration else 0.0

    def percentile(self, p: float) -> float:
        """Latency percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))
        return ordered[index] * 1000

    @property
    def p50_ms(self) -> float:
        return self.percentile(50)

    @property
    def p99_ms(self) -> float:
        return self.percentile(99)

    def histogram(self) -> list[tuple[float, int]]:
        """(upper bound in ms, count) over doubling buckets from 0.125 ms."""
        bounds = [0.125 * 2**i for i in range(18)]
        counts = [0] * len(bounds)
        for seconds in self.latencies:
            ms = seconds * 1000
            for i, bound in enumerate(bounds):
                if ms <= bound or i == len(bounds) - 1:
                    counts[i] += 1
                    break
        return [(b, c) for b, c in zip(bounds, counts, strict=True) if c]

    def summary(self) -> str:
        codes = ",".join(f"{Code(c).name.lower()}={n}" for c, n in sorted(self.codes.items()))
        return (
            f"sent={self.sent} answered={self.answered} lost={self.lost} invalid={self.invalid} "
            f"rate={self.rate:.0f}/s p50_ms={self.p50_ms:.2f} p99_ms={self.p99_ms:.2f} {codes}"
        )


class _LoadSocket(asyncio.DatagramProtocol):
    """One UDP socket of the load generator: ≤ in_flight outstanding requests, refilled on reply."""

    def __init__(self, run: _LoadRun) -> None:
        self.run = run
        self.transport: asyncio.DatagramTransport | None = None
        # Freed identifiers go to the back: a timed-out id is reused as late as possible.
        self.free = collections.deque(range(256))
        self.in_flight: dict[int, tuple[float, Packet]] = {}

    def connection_made(self, transport) -> None:
        self.transport = transport
        _grow_receive_buffer(transport)

    def fill(self) -> None:
        run = self.run
        while len(self.in_flight) < run.in_flight and run.may_send():
            ident = self.free.popleft()
            packet = run.make_request(run.report.sent)
            packet.identifier = ident
            data = packet.encode()
            run.report.sent += 1
            self.in_flight[ident] = (time.perf_counter(), packet)
            assert self.transport is not None
            self.transport.sendto(data)

    def datagram_received(self, data: bytes, addr) -> None:
        run = self.run
        entry = self.in_flight.get(data[1]) if len(data) >= 20 else None
        if entry is None:
            run.report.invalid += 1
            return
        started, request = entry
        try:
            reply = check_reply(data, request, require_message_authenticator=run.require_message_authenticator)
        except PacketError:
            run.report.invalid += 1
            return
        del self.in_flight[data[1]]
        self.free.append(data[1])
        run.report.answered += 1
        run.report.codes[reply.code] += 1
        run.report.latencies.append(time.perf_counter() - started)
        self.fill()
        run.check_done()

    def expire(self, now: float) -> None:
        timeout = self.run.timeout
        expired = [ident for ident, (started, _) in self.in_flight.items() if now - started > timeout]
        for ident in expired:
            del self.in_flight[ident]
            self.free.append(ident)
            self.run.report.lost += 1
        if expired:
            self.fill()

    def error_received(self, exc: Exception) -> None:
        pass


class _LoadRun:
    def __init__(self, make_request, in_flight, timeout, total, deadline, require_message_authenticator) -> None:
        self.make_request = make_request
        self.in_flight = in_flight
        self.timeout = timeout
        self.total = total
        self.deadline = deadline
        self.require_message_authenticator = require_message_authenticator
        self.report = LoadReport()
        self.sockets: list[_LoadSocket] = []
        self.done = asyncio.Event()

    def may_send(self) -> bool:
        if self.total is not None and self.report.sent >= self.total:
            return False
        return self.deadline is None or time.perf_counter() < self.deadline

    def check_done(self) -> None:
        if not self.may_send() and not any(s.in_flight for s in self.sockets):
            self.done.set()


async def run_load(
    host: str,
    port: int,
    make_request: Callable[[int], Packet],
    *,
    duration: float | None = None,
    total: int | None = None,
    sockets: int = 4,
    in_flight: int = MAX_IN_FLIGHT_PER_SOCKET,
    timeout: float = 2.0,
    require_message_authenticator: bool = True,
) -> LoadReport:
    """Drive a server with `make_request(i)` packets (each with its secret set) until `total`
    requests were sent or `duration` seconds passed, then wait for the stragglers.

    No retransmissions: a request without a valid reply within `timeout` counts as lost."""
    if duration is None and total is None:
        raise ValueError("give duration or total")
    if not 1 <= in_flight <= MAX_IN_FLIGHT_PER_SOCKET:
        raise ValueError(f"in_flight must be 1..{MAX_IN_FLIGHT_PER_SOCKET}")
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    deadline = started + duration if duration is not None else None
    run = _LoadRun(make_request, in_flight, timeout, total, deadline, require_message_authenticator)
    for _ in range(sockets):
        _, proto = await loop.create_datagram_endpoint(lambda: _LoadSocket(run), remote_addr=(host, port))
        run.sockets.append(proto)
    try:
        for proto in run.sockets:
            proto.fill()
        tick = min(0.05, timeout / 4)
        while not run.done.is_set():
            try:
                await asyncio.wait_for(run.done.wait(), tick)
            except TimeoutError:
                now = time.perf_counter()
                for proto in run.sockets:
                    proto.fill()  # after a pause in replies, or when only the deadline stopped us
                    proto.expire(now)
                run.check_done()
    finally:
        for proto in run.sockets:
            if proto.transport is not None:
                proto.transport.close()
    run.report.duration = time.perf_counter() - started
    return run.report


def _load_worker(args: tuple) -> LoadReport:
    host, port, factory, factory_args, index, kwargs = args
    make_request = factory(*factory_args, worker_index=index)
    return asyncio.run(run_load(host, port, make_request, **kwargs))


def merge_reports(reports: list[LoadReport]) -> LoadReport:
    """One report for several concurrent load processes (their durations overlap: the longest counts)."""
    merged = LoadReport()
    for report in reports:
        merged.sent += report.sent
        merged.answered += report.answered
        merged.lost += report.lost
        merged.invalid += report.invalid
        merged.codes.update(report.codes)
        merged.latencies.extend(report.latencies)
        merged.duration = max(merged.duration, report.duration)
    return merged


def run_load_parallel(
    processes: int,
    host: str,
    port: int,
    factory: Callable[..., Callable[[int], Packet]],
    factory_args: tuple = (),
    **kwargs,
) -> LoadReport:
    """`run_load` in several processes at once, for more load than one Python process can generate.

    `factory(*factory_args, worker_index=i)` runs in each worker and returns its `make_request`; it
    must be a module-level function (it is pickled). `total`, if given, is split between workers."""
    total = kwargs.pop("total", None)
    jobs = []
    for index in range(processes):
        share = dict(kwargs)
        if total is not None:
            share["total"] = total // processes + (1 if index < total % processes else 0)
        jobs.append((host, port, factory, factory_args, index, share))
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return merge_reports(pool.map(_load_worker, jobs))
