"""RadSec (RFC 6614): RADIUS over TLS on TCP, a second transport for the same packet handling.

Only the transport lives here. A connection is admitted once the TLS handshake has verified the
client certificate against the configured CA (TLS 1.2+, mutual authentication) and its source
address is a known NAS — the same address lookup as UDP decides the tenant. Each RADIUS packet is
cut from the stream by its length field and handed to RadiusServer.received() exactly like a
datagram, with "radsec" as the shared secret (RFC 6614 2.3). Requests may be pipelined; replies
go back on the connection as they are decided (accounting replies after their batch committed).
A frame whose length field is impossible, or that stays incomplete for FRAME_TIMEOUT seconds,
closes that connection, never the server.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import TYPE_CHECKING

from radius.protocol.dedup import DuplicateCache
from radius.protocol.packet import Code

if TYPE_CHECKING:
    from radius.server.server import RadiusServer

log = logging.getLogger("radius.server")

SECRET = b"radsec"  # RFC 6614 2.3: the shared secret inside the TLS tunnel
MIN_LENGTH, MAX_LENGTH = 20, 4096  # RFC 2865 3: a length outside these is not RADIUS
HANDSHAKE_TIMEOUT = 10.0
FRAME_TIMEOUT = 10.0  # a started packet must be complete by then (a stalled peer holds no buffer)
_ACCOUNTING = {Code.ACCOUNTING_REQUEST}


def server_context(cert: str, key: str, ca: str) -> ssl.SSLContext:
    """A TLS 1.2+ server context that presents `cert`/`key` and requires a client certificate
    signed by `ca`. OSError / ssl.SSLError when a file is missing or does not load."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.load_verify_locations(cafile=ca)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


class _StreamTransport:
    """The part of a datagram transport the packet handling uses, writing to one connection."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def sendto(self, data: bytes, addr=None) -> None:
        if not self._transport.is_closing():
            self._transport.write(data)

    def is_closing(self) -> bool:
        return self._transport.is_closing()


class _StreamEndpoint:
    """Stands in for the UDP auth or acct endpoint of server.py for one connection."""

    secret = SECRET
    transport_name = "radsec"

    def __init__(self, kind: str, transport: _StreamTransport) -> None:
        self.kind = kind
        self.dedup = DuplicateCache(max_entries=1024)
        self.transport = transport


class RadSecConnection(asyncio.Protocol):
    def __init__(self, server: RadiusServer) -> None:
        self.server = server
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.peer = None
        self._stalled: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # called once the TLS handshake succeeded
        self.transport = transport
        self.peer = transport.get_extra_info("peername")[:2]
        if not self.server.radsec_admits(self.peer[0]):
            self.server.stats.unknown_nas += 1
            self.server.packets.count("radsec", "closed_unknown_nas", "radsec")
            transport.abort()
            return
        self.server.packets.count("radsec", "connected", "radsec")
        self.server.radsec_connections.add(self)
        stream = _StreamTransport(transport)
        self.auth = _StreamEndpoint("auth", stream)
        self.acct = _StreamEndpoint("acct", stream)

    def connection_lost(self, exc) -> None:
        self.server.radsec_connections.discard(self)
        if self._stalled is not None:
            self._stalled.cancel()

    def data_received(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.buffer += data
        while len(self.buffer) >= 4:
            length = int.from_bytes(self.buffer[2:4], "big")
            if not MIN_LENGTH <= length <= MAX_LENGTH:
                self.server.stats.invalid += 1
                self.server.packets.count("radsec", "closed_bad_frame", "radsec")
                self.transport.abort()
                return
            if len(self.buffer) < length:
                break  # the rest of this packet is still on its way
            frame = bytes(self.buffer[:length])
            del self.buffer[:length]
            if self._stalled is not None:
                self._stalled.cancel()
                self._stalled = None
            endpoint = self.acct if frame[0] in _ACCOUNTING else self.auth
            self.server.received(endpoint, frame, self.peer)
        if self.buffer and self._stalled is None:
            loop = asyncio.get_running_loop()
            self._stalled = loop.call_later(self.server.radsec_frame_timeout, self._close_stalled)

    def _close_stalled(self) -> None:
        self.server.stats.invalid += 1
        self.server.packets.count("radsec", "closed_stalled_frame", "radsec")
        self.transport.abort()

    def eof_received(self) -> bool:
        if self.buffer:  # the peer stopped in the middle of a packet
            self.server.stats.invalid += 1
            self.server.packets.count("radsec", "closed_bad_frame", "radsec")
        return False  # close our side too
