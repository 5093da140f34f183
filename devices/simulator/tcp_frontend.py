"""What the simulator's SSH and REST frontends share: accepting on the fleet's listening
socket inside its asyncio loop, refusing like a router that is down, and black-holing."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

log = logging.getLogger(__name__)

LINGER_RESET = struct.pack("ii", 1, 0)
BLACK_HOLE_HOLD_SECONDS = 600.0


def reset_connection(conn: socket.socket) -> None:
    """Close so the peer sees a reset: after accept(), the nearest thing to 'refused'."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    except OSError:
        pass
    conn.close()


class TcpFrontend:
    """Accepts connections for every device of a fleet and hands each to `handle`.

    Subclasses implement `handle(conn)`; `device_for(conn)` says which device was dialled.
    """

    name = "tcp"

    def __init__(self, fleet: Any, sock: socket.socket) -> None:
        self.fleet = fleet
        self.loop = asyncio.get_running_loop()
        self._sock = sock
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: set[socket.socket] = set()
        sock.setblocking(False)
        self._accepting = self.loop.create_task(self._accept_forever())

    async def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def device_for(self, conn: socket.socket) -> Any:
        return self.fleet.device_for_sockname(conn.getsockname())

    async def _accept_forever(self) -> None:
        while True:
            try:
                conn, _peer = await self.loop.sock_accept(self._sock)
            except OSError:
                log.warning("%s accept failed", self.name, exc_info=True)
                await asyncio.sleep(0.05)
                continue
            task = self.loop.create_task(self.handle(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def hold(self, conn: socket.socket) -> None:
        """Accept and never answer (black hole); let go after a while so descriptors don't pile up."""
        self._held.add(conn)

        def release() -> None:
            if conn in self._held:
                self._held.discard(conn)
                conn.close()

        self.loop.call_later(BLACK_HOLE_HOLD_SECONDS, release)

    async def close(self) -> None:
        self._accepting.cancel()
        for task in list(self._tasks):
            task.cancel()
        for conn in self._held:
            conn.close()
        self._held.clear()
