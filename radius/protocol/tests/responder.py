"""A tiny RADIUS server built on our codec, for tests: real UDP on 127.0.0.1, in a thread.

Not the product server (that comes with the Django side); just enough behaviour — users with
passwords, PAP/CHAP/MS-CHAP, accounting, Status-Server, CoA/Disconnect ACK — to exercise the
client and to let FreeRADIUS' radclient talk to our codec.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from radius.protocol.auth import authenticate
from radius.protocol.errors import PacketError
from radius.protocol.packet import Code, Packet, decode_packet


@dataclass
class ResponderState:
    secret: bytes
    users: dict[str, str]
    otp_secrets: dict[str, bytes] = field(default_factory=dict)
    require_message_authenticator: bool = False
    rate_limit: str = "10M/20M"
    drop_first: int = 0  # ignore this many datagrams (to exercise retransmission)
    drop_every: int = 0  # ignore every n-th datagram (to exercise loss accounting)
    received: int = 0
    dropped_bad: int = 0  # datagrams that failed decode/verification
    requests: list[Packet] = field(default_factory=list)
    datagrams: list[bytes] = field(default_factory=list)  # the first 1000 as received, dropped ones too


class Responder(asyncio.DatagramProtocol):
    def __init__(self, state: ResponderState) -> None:
        self.state = state
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        # A burst of 128 requests per client socket overflows the default 208 KiB receive buffer.
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)

    def datagram_received(self, data: bytes, addr) -> None:
        st = self.state
        st.received += 1
        if len(st.datagrams) < 1000:
            st.datagrams.append(data)
        if st.received <= st.drop_first or (st.drop_every and st.received % st.drop_every == 0):
            return
        try:
            request = decode_packet(data, st.secret)
            required = st.require_message_authenticator and request.code == Code.ACCESS_REQUEST
            request.verify_request(require_message_authenticator=required)
            reply = self.handle(request)
        except PacketError:
            st.dropped_bad += 1
            return
        if len(st.requests) < 1000:
            st.requests.append(request)
        assert self.transport is not None
        self.transport.sendto(reply.encode(), addr)

    def handle(self, request: Packet) -> Packet:
        st = self.state
        if request.code == Code.ACCESS_REQUEST:
            user = request.get("User-Name")
            password = st.users.get(user) if isinstance(user, str) else None
            if password is None:
                return request.reply(Code.ACCESS_REJECT).add("Reply-Message", "unknown user")
            result = authenticate(request, password, otp_secret=st.otp_secrets.get(user))
            reply = request.reply(Code.ACCESS_ACCEPT if result.accepted else Code.ACCESS_REJECT)
            for name, value in result.reply:
                reply.add(name, value)
            if result.accepted:
                reply.add("Mikrotik-Rate-Limit", st.rate_limit)
            else:
                reply.add("Reply-Message", result.reason)
            return reply
        if request.code == Code.ACCOUNTING_REQUEST:
            return request.reply(Code.ACCOUNTING_RESPONSE)
        if request.code == Code.STATUS_SERVER:
            return request.reply(Code.ACCESS_ACCEPT)
        if request.code == Code.COA_REQUEST:
            return request.reply(Code.COA_ACK)
        return request.reply(Code.DISCONNECT_ACK)


@contextlib.contextmanager
def running_responder(state: ResponderState, host: str = "127.0.0.1") -> Iterator[tuple[str, int]]:
    """Serve `state` on an ephemeral UDP port in a background thread; yields (host, port)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        transport, _ = await loop.create_datagram_endpoint(lambda: Responder(state), local_addr=(host, 0))
        holder["transport"] = transport
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, name="radius-responder", daemon=True)
    thread.start()
    if not ready.wait(5):
        raise RuntimeError("responder did not start")
    transport = holder["transport"]
    port = transport.get_extra_info("sockname")[1]  # type: ignore[attr-defined]
    try:
        yield host, port
    finally:
        loop.call_soon_threadsafe(transport.close)  # type: ignore[attr-defined]
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
