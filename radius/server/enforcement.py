"""Ending sessions the User Manager no longer allows: Disconnect-Request (RFC 5176) to the NAS;
or, for a limitation set to throttle, slowing them down with a CoA-Request (`change_rate`).

Sent when a user is disabled or removed while online, and when an accounting update shows a
session's user has run out (a limit used up, the profile's validity over). The request goes to
the NAS's CoA port with its secret and a Message-Authenticator; the answer is ACK, NAK or
nothing (after retries). The terminate cause (um-user-disabled, um-user-deleted,
um-limits-reached) is recorded on the session at once; the NAS's own Accounting-Stop then closes
it without overwriting the cause.
"""

from __future__ import annotations

import asyncio
import logging

from radius.protocol.client import RadiusClient, RadiusTimeout
from radius.protocol.errors import PacketError
from radius.protocol.packet import Code, Packet

log = logging.getLogger("radius.server")

USER_DISABLED = "um-user-disabled"
USER_DELETED = "um-user-deleted"
LIMITS_REACHED = "um-limits-reached"
ADMIN_RESET = "admin-reset"  # an operator pressed Disconnect (RFC 2866 Acct-Terminate-Cause Admin-Reset)
SHARED_USERS = "um-shared-users"  # a newer login of the same user took the place (shared-users overflow)


async def disconnect(nas, state, *, timeout: float = 1.0, retries: int = 2) -> str:
    """Ask `nas` to end the session `state`; "ack", "nak" or "timeout"."""
    packet = Packet(Code.DISCONNECT_REQUEST, secret=nas.secret)
    packet.add("User-Name", state.username)
    packet.add("Acct-Session-Id", state.key[1])
    if state.framed_ip:
        packet.add("Framed-IP-Address", state.framed_ip)
    try:
        async with RadiusClient(nas.address, nas.coa_port, nas.secret, timeout=timeout, retries=retries) as client:
            reply = await client.send(packet)
    except (RadiusTimeout, OSError, PacketError):
        return "timeout"
    return "ack" if reply.code == Code.DISCONNECT_ACK else "nak"


async def change_rate(nas, state, rate_limit: str, *, timeout: float = 1.0, retries: int = 2) -> str:
    """Fair-usage throttling: CoA-Request setting Mikrotik-Rate-Limit `rate_limit` on the live
    session `state` (the session continues); "ack", "nak" or "timeout"."""
    packet = Packet(Code.COA_REQUEST, secret=nas.secret)
    packet.add("User-Name", state.username)
    packet.add("Acct-Session-Id", state.key[1])
    if state.framed_ip:
        packet.add("Framed-IP-Address", state.framed_ip)
    packet.add("Mikrotik-Rate-Limit", rate_limit)
    try:
        async with RadiusClient(nas.address, nas.coa_port, nas.secret, timeout=timeout, retries=retries) as client:
            reply = await client.send(packet)
    except (RadiusTimeout, OSError, PacketError):
        return "timeout"
    return "ack" if reply.code == Code.COA_ACK else "nak"


def disconnect_now(nas, state, *, timeout: float = 1.0, retries: int = 2) -> str:
    """`disconnect()` for callers outside an event loop (the web process's Disconnect button):
    blocks at most about timeout × (retries + 1) seconds."""
    return asyncio.run(disconnect(nas, state, timeout=timeout, retries=retries))
