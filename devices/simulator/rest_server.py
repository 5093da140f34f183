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
import socket
import ssl
from collections.abc import Callable
from typing import Any

import h11

from devices.simulator.rest_api import RestReply, RestRequest, handle_rest
from devices.simulator.tcp_frontend import TcpFrontend, reset_connection

log = logging.getLogger(__name__)

SERVER_HEADER = "RouterOS"  # no version: a real router does not advertise it either
MAX_BODY = 1 << 20
READ_SIZE = 65536
IDLE_TIMEOUT = 60.0
HANDSHAKE_TIMEOUT = 10.0


def serves_rest(device: Any) -> bool:
    """REST exists from RouterOS 7.1 on, and only while www-ssl is reachable."""
    return device.major >= 7 and device.is_reachable("rest")


class FleetRestServer(TcpFrontend):
    """Accepts HTTPS connections for every device of a fleet on one listening socket."""

    name = "rest"

    async def handle(self, conn: socket.socket) -> None:
        device = self.device_for(conn)
        if device is None or not serves_rest(device):
            reset_connection(conn)
            return
        if device.is_blackholed():
            self.hold(conn)
            return
        try:
            reader, writer = await self._start_tls(conn)
        except (TimeoutError, OSError, ssl.SSLError):
            conn.close()
            return
        abort = writer.transport.abort
        token = device.attach(lambda: self.loop.call_soon_threadsafe(abort))
        try:
            await HttpConnection(device, reader, writer).run()
        except (TimeoutError, OSError, ssl.SSLError, h11.ProtocolError):
            log.debug("REST connection ended abruptly", exc_info=True)
        finally:
            device.detach(token)
            writer.close()

    async def _start_tls(self, conn: socket.socket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """TLS with the fleet CA's certificate for the dialled address's block."""
        reader = asyncio.StreamReader(limit=MAX_BODY, loop=self.loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=self.loop)
        transport, _ = await self.loop.connect_accepted_socket(
            lambda: protocol,
            sock=conn,
            ssl=self.fleet.tls_context(conn.getsockname()[0]),
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
        )
        return reader, asyncio.StreamWriter(transport, protocol, reader, self.loop)


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
            await self._device.reply_delay()
            reply = await asyncio.to_thread(handle_rest, self._device, request)
            if not await self._send(reply):
                return
            if h11.MUST_CLOSE in (self._http.our_state, self._http.their_state):
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
                read = self._reader.read(READ_SIZE)
                self._http.receive_data(await asyncio.wait_for(read, IDLE_TIMEOUT))
            elif isinstance(event, h11.Request):
                headers = {name.decode().lower(): value.decode("latin-1") for name, value in event.headers}
                target = event.target.decode("latin-1")
                request = RestRequest(event.method.decode(), target, headers)
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                request.body = bytes(body)
                return request
            else:  # ConnectionClosed, PAUSED
                return None

    async def _send(self, reply: RestReply) -> bool:
        """Write the reply through the device's reply faults; False ends the connection."""
        payload = reply.payload()
        headers = [("Server", SERVER_HEADER), ("Content-Length", str(len(payload)))]
        if reply.body is not None:
            headers.append(("Content-Type", "application/json"))
        if reply.status == 401:
            headers.append(("WWW-Authenticate", 'Basic realm="RouterOS"'))
        response = h11.Response(status_code=reply.status, headers=headers, reason=reply.reason)
        wire = self._http.send(response)
        if payload:
            wire += self._http.send(h11.Data(data=payload))
        wire += self._http.send(h11.EndOfMessage())
        action = "send"
        if self._device.fault is not None:
            wire, action = self._device.mangle_reply(wire)
        self._writer.write(wire)
        await self._writer.drain()
        if action == "reset":
            self._writer.transport.abort()
        return action == "send"


async def serve(fleet: Any, sock: socket.socket) -> Callable[[], Any]:
    """Serve REST over HTTPS for the fleet's v7 devices on `sock`; returns the closer."""
    return FleetRestServer(fleet, sock).close
