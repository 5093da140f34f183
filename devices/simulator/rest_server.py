"""HTTPS (www-ssl) transport for the RouterOS REST API of the simulated fleet.

One listening socket serves every device. A connection is judged in the asyncio loop
*before* the TLS handshake: unknown addresses, unreachable devices and RouterOS 6 (which
has no REST) are reset, black-holed devices are held silent. The rest is HTTP/1.1 with
keep-alive, parsed by h11, and each request is answered by `rest_api.handle_rest` in a
worker thread (device calls are synchronous and may run CLI scripts).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import struct
from typing import Any

import h11

from devices.simulator.rest_api import RestReply, RestRequest, handle_rest

log = logging.getLogger(__name__)

SERVER_HEADER = b"RouterOS"  # no version: a real router does not advertise it either
MAX_BODY = 1 << 20
READ_SIZE = 65536
IDLE_TIMEOUT = 60.0
HANDSHAKE_TIMEOUT = 10.0
BLACK_HOLE_HOLD_SECONDS = 600.0
BLACK_HOLE_FAULTS = frozenset({"blackhole", "black_hole", "black-hole"})
GARBAGE_FAULTS = frozenset({"garbage"})
RESET_FAULTS = frozenset({"reset", "reset_mid_reply", "reset-mid-reply"})
TRUNCATE_FAULTS = frozenset({"truncated", "truncate"})


def fault_kind(device: Any) -> str | None:
    fault = getattr(device, "fault", None)
    if not fault:
        return None
    return str(getattr(fault, "kind", None) or getattr(fault, "name", None) or fault).lower()


def serves_rest(device: Any) -> bool:
    """REST exists from RouterOS 7.1 on, and only while www-ssl is reachable."""
    return device.major >= 7 and device.is_reachable("rest")


def reset_connection(conn: socket.socket) -> None:
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.close()


class FleetRestServer:
    """Accepts HTTPS connections for every device of a fleet on one listening socket."""

    def __init__(self, fleet: Any, sock: socket.socket) -> None:
        self._fleet = fleet
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._tls = fleet.tls_context()
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: set[socket.socket] = set()
        self._sock.setblocking(False)
        self._accepting = self._loop.create_task(self._accept_forever())

    async def _accept_forever(self) -> None:
        while True:
            try:
                conn, _peer = await self._loop.sock_accept(self._sock)
            except asyncio.CancelledError:
                raise
            except OSError:
                log.warning("REST accept failed", exc_info=True)
                await asyncio.sleep(0.05)
                continue
            task = self._loop.create_task(self._serve_connection(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve_connection(self, conn: socket.socket) -> None:
        device = self._fleet.device_for_address(conn.getsockname()[0])
        if device is None or not serves_rest(device):
            reset_connection(conn)
            return
        fault = fault_kind(device)
        if fault in BLACK_HOLE_FAULTS:
            self._hold(conn)
            return
        if fault in GARBAGE_FAULTS:
            await device.reply_delay()
            await self._loop.sock_sendall(conn, os.urandom(64))
            reset_connection(conn)
            return
        try:
            reader, writer = await self._start_tls(conn)
        except (TimeoutError, OSError, ssl.SSLError):
            conn.close()
            return
        try:
            await HttpConnection(device, reader, writer).run()
        except (TimeoutError, OSError, ssl.SSLError, h11.ProtocolError):
            log.debug("REST connection ended abruptly", exc_info=True)
        finally:
            writer.close()

    async def _start_tls(self, conn: socket.socket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader = asyncio.StreamReader(limit=MAX_BODY, loop=self._loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=self._loop)
        transport, _ = await self._loop.connect_accepted_socket(
            lambda: protocol, sock=conn, ssl=self._tls, ssl_handshake_timeout=HANDSHAKE_TIMEOUT
        )
        return reader, asyncio.StreamWriter(transport, protocol, reader, self._loop)

    def _hold(self, conn: socket.socket) -> None:
        self._held.add(conn)

        def release() -> None:
            if conn in self._held:
                self._held.discard(conn)
                conn.close()

        self._loop.call_later(BLACK_HOLE_HOLD_SECONDS, release)

    async def close(self) -> None:
        self._accepting.cancel()
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self._held):
            conn.close()
        self._held.clear()


class HttpConnection:
    """HTTP/1.1 request/response cycles on one TLS stream, with keep-alive."""

    def __init__(self, device: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._device = device
        self._reader = reader
        self._writer = writer
        self._http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_BODY)

    async def run(self) -> None:
        while True:
            request = await self._next_request()
            if request is None:
                return
            if fault_kind(self._device) is not None:
                await self._device.reply_delay()
            reply = await asyncio.to_thread(handle_rest, self._device, request)
            if not await self._send(reply):
                return
            if self._http.our_state is h11.MUST_CLOSE or self._http.their_state is h11.MUST_CLOSE:
                return
            try:
                self._http.start_next_cycle()
            except h11.LocalProtocolError:
                return

    async def _next_request(self) -> RestRequest | None:
        request: RestRequest | None = None
        body = bytearray()
        while True:
            event = self._http.next_event()
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(self._reader.read(READ_SIZE), IDLE_TIMEOUT)
                self._http.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                headers = {name.decode().lower(): value.decode("latin-1") for name, value in event.headers}
                request = RestRequest(event.method.decode(), event.target.decode("latin-1"), headers)
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY:
                    return None
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                request.body = bytes(body)
                return request
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None

    async def _send(self, reply: RestReply) -> bool:
        """Write the reply; False when a fault cut it short (the connection is then done)."""
        payload = reply.payload()
        headers = [("Server", SERVER_HEADER), ("Content-Length", str(len(payload)))]
        if reply.body is not None:
            headers.append(("Content-Type", "application/json"))
        if reply.status == 401:
            headers.append(("WWW-Authenticate", 'Basic realm="RouterOS"'))
        wire = self._http.send(h11.Response(status_code=reply.status, headers=headers, reason=reply.reason))
        if payload:
            wire += self._http.send(h11.Data(data=payload))
        wire += self._http.send(h11.EndOfMessage())
        fault = fault_kind(self._device)
        if fault in RESET_FAULTS | TRUNCATE_FAULTS:
            self._writer.write(wire[: len(wire) // 2])
            await self._writer.drain()
            if fault in RESET_FAULTS:
                self._writer.transport.abort()
            return False
        self._writer.write(wire)
        await self._writer.drain()
        return True


async def serve(fleet: Any, sock: socket.socket) -> FleetRestServer:
    """Start serving REST over HTTPS for every RouterOS 7 device of `fleet` on `sock`."""
    return FleetRestServer(fleet, sock)
