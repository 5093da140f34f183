"""SNMP agent (v1/v2c and v3) for the whole simulated fleet, on shared UDP sockets.

pysnmp's engine does the protocol work (BER, community check, USM authentication and
privacy); three pieces are ours:

* `FleetUdpTransport` reads datagrams with `recvmsg` and IP_PKTINFO, so each request carries
  the address it was sent to (the simulated device), and answers *from* that address via
  `sendmsg` with an IP_PKTINFO ancillary message.
* `FleetSnmpAgent._admit` applies what RouterOS would before answering: SNMP enabled and
  reachable, the community (v1/v2c) or v3 user taken from the device's own
  `/snmp/community` table (RouterOS names v3 users after communities), faults.  Because every
  device shares one engine, the engine learns those communities and users on first use.
* `FleetMibInstrumentation` stands where pysnmp's MIB controller would: it answers
  GET/GETNEXT (and so GETBULK) from a MIB built on demand from `device.snmp_view()`.

One engine means one snmpEngineID for the fleet (a real fleet has one per router); SNMP
clients key engine discovery by target address, so they do not notice.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import weakref
from collections.abc import Callable
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.smi import error as smi_error

from devices.simulator.snmp_mib import DeviceMib, build_device_mib

log = logging.getLogger(__name__)

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux value; Python < 3.13 lacks the name
IN_PKTINFO = struct.Struct("@i4s4s")  # ipi_ifindex, ipi_spec_dst, ipi_addr
ANCILLARY_SPACE = socket.CMSG_SPACE(IN_PKTINFO.size)
MAX_DATAGRAM = 65535
DATAGRAMS_PER_WAKEUP = 64

SockName = tuple[str, int]

# RouterOS /snmp/community protocol names → pysnmp USM services.
AUTH_PROTOCOLS = {
    "MD5": config.USM_AUTH_HMAC96_MD5,
    "SHA1": config.USM_AUTH_HMAC96_SHA,
    "SHA": config.USM_AUTH_HMAC96_SHA,
    "SHA224": config.USM_AUTH_HMAC128_SHA224,
    "SHA256": config.USM_AUTH_HMAC192_SHA256,
    "SHA384": config.USM_AUTH_HMAC256_SHA384,
    "SHA512": config.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "DES": config.USM_PRIV_CBC56_DES,
    "AES": config.USM_PRIV_CFB128_AES,
    "AES128": config.USM_PRIV_CFB128_AES,
    "AES192": config.USM_PRIV_CFB192_AES,
    "AES256": config.USM_PRIV_CFB256_AES,
}


# --- a peek at the message header, to pick the community / v3 user before pysnmp runs ----


def _tlv(data: bytes, position: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the BER element at `position`."""
    tag = data[position]
    length = data[position + 1]
    start = position + 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(data[start : start + size], "big")
        start += size
    end = start + length
    if end > len(data):
        raise ValueError("truncated BER element")
    return tag, start, end


def message_principal(datagram: bytes) -> tuple[int, str] | None:
    """(SNMP version number, community or v3 user name) of a request, or None if malformed.

    version 0 = v1, 1 = v2c, 3 = v3; a v3 discovery request has an empty user name.
    """
    try:
        _, position, _ = _tlv(datagram, 0)
        _, start, end = _tlv(datagram, position)
        version = int.from_bytes(datagram[start:end], "big")
        if version in (0, 1):
            _, start, end = _tlv(datagram, end)
            return version, datagram[start:end].decode("utf-8", "replace")
        if version != 3:
            return None
        _, _, global_end = _tlv(datagram, end)  # msgGlobalData
        _, parameters, _ = _tlv(datagram, global_end)  # msgSecurityParameters (OCTET STRING)
        _, position, _ = _tlv(datagram, parameters)  # UsmSecurityParameters SEQUENCE
        for _field in range(3):  # engine id, boots, time
            _, _, position = _tlv(datagram, position)
        _, start, end = _tlv(datagram, position)
        return 3, datagram[start:end].decode("utf-8", "replace")
    except (IndexError, ValueError):
        return None


def _destination_address(ancillary: list[tuple[int, int, bytes]]) -> str | None:
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= IN_PKTINFO.size:
            _ifindex, _spec_dst, header_destination = IN_PKTINFO.unpack_from(data)
            return socket.inet_ntoa(header_destination)
    return None


class FleetUdpTransport(udp.UdpAsyncioTransport):
    """pysnmp UDP transport over the fleet's sockets that knows each datagram's device.

    The local (destination) address and port of a request ride along in pysnmp's transport
    address (`get_local_address()`), so the reply goes out from the same address and socket.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        admit: Callable[[SockName, bytes, Callable[[], None]], None],
    ) -> None:
        super().__init__(loop=loop)
        self._admit = admit
        self._sockets: dict[int, socket.socket] = {}
        self._mangle: Callable[[SockName, bytes], bytes | None] = lambda local, data: data

    def add_socket(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        self._sockets[sock.getsockname()[1]] = sock
        self.loop.add_reader(sock.fileno(), self._read_datagrams, sock)

    def remove_socket(self, sock: socket.socket) -> None:
        if self._sockets.pop(sock.getsockname()[1], None) is not None:
            self.loop.remove_reader(sock.fileno())

    def set_reply_filter(self, mangle: Callable[[SockName, bytes], bytes | None]) -> None:
        """`mangle(local, reply)` may alter a reply or return None to drop it (faults)."""
        self._mangle = mangle

    def open_server_mode(self, iface: Any = None, sock: Any = None) -> FleetUdpTransport:
        return self  # sockets come from the fleet, through add_socket()

    def close_transport(self) -> None:
        for sock in list(self._sockets.values()):
            self.remove_socket(sock)
        self._callback_function = None

    def _read_datagrams(self, sock: socket.socket) -> None:
        port = sock.getsockname()[1]
        for _ in range(DATAGRAMS_PER_WAKEUP):
            try:
                data, ancillary, _flags, peer = sock.recvmsg(MAX_DATAGRAM, ANCILLARY_SPACE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.warning("SNMP socket read failed", exc_info=True)
                return
            local = (_destination_address(ancillary) or sock.getsockname()[0], port)
            address = udp.UdpTransportAddress(peer).set_local_address(local)
            self._admit(local, data, lambda a=address, d=data: self._deliver(a, d))

    def _deliver(self, address: udp.UdpTransportAddress, data: bytes) -> None:
        if self._callback_function is not None:
            self._callback_function(self, address, data)

    def send_message(self, outgoingMessage: bytes, transportAddress: Any) -> None:
        local = transportAddress.get_local_address()
        reply = self._mangle(local, outgoingMessage)
        if reply is not None:
            self.send_from(reply, local, (transportAddress[0], transportAddress[1]))

    def send_from(self, payload: bytes, local: SockName, peer: tuple[str, int]) -> None:
        """Send `payload` to `peer` from `local` (the device's address and port)."""
        sock = self._sockets.get(local[1])
        if sock is None:
            return
        spec = IN_PKTINFO.pack(0, socket.inet_aton(local[0]), bytes(4))
        try:
            sock.sendmsg([payload], [(socket.IPPROTO_IP, IP_PKTINFO, spec)], 0, peer)
        except OSError:
            log.warning("SNMP reply to %s from %s failed", peer, local, exc_info=True)


class FleetMibInstrumentation:
    """Answers reads for whichever device the current request was addressed to.

    pysnmp calls `read_variables`/`read_next_variables` once per PDU (GETBULK: once per
    repetition); the device's MIB is built once per PDU and reused for those calls.
    """

    def __init__(self, fleet: Any) -> None:
        self._fleet = fleet
        self._cached_pdu: Any = None
        self._cached_mib: DeviceMib | None = None

    def _request_mib(self, snmp_engine: engine.SnmpEngine) -> tuple[DeviceMib, bool]:
        request = snmp_engine.observer.get_execution_context("rfc3412.receiveMessage:request")
        pdu = request["pdu"]
        is_v1 = request["securityModel"] == 1
        if pdu is self._cached_pdu and self._cached_mib is not None:
            return self._cached_mib, is_v1
        device = self._fleet.device_for_sockname(request["transportAddress"].get_local_address())
        if device is None:
            raise smi_error.GenError()
        mib = build_device_mib(device.snmp_view())
        self._cached_pdu, self._cached_mib = pdu, mib
        return mib, is_v1

    def read_variables(self, *var_binds: Any, **context_: Any) -> list[tuple[Any, Any]]:
        mib, _ = self._request_mib(context_["snmpEngine"])
        answers = []
        for name, _value in var_binds:
            oid = tuple(name)
            found = mib.get(oid)
            if found is not None:
                answers.append((rfc1902.ObjectName(oid), found.to_pysnmp()))
            elif mib.has_object(oid):
                answers.append((rfc1902.ObjectName(oid), rfc1905.noSuchInstance))
            else:
                answers.append((rfc1902.ObjectName(oid), rfc1905.noSuchObject))
        return answers

    def read_next_variables(self, *var_binds: Any, **context_: Any) -> list[tuple[Any, Any]]:
        mib, is_v1 = self._request_mib(context_["snmpEngine"])
        answers = []
        for name, _value in var_binds:
            oid = tuple(name)
            found = mib.next_after(oid, skip_counter64=is_v1)
            if found is None:
                answers.append((rfc1902.ObjectName(oid), rfc1905.endOfMibView))
            else:
                next_oid, value = found
                answers.append((rfc1902.ObjectName(next_oid), value.to_pysnmp()))
        return answers

    def write_variables(self, *var_binds: Any, **context_: Any) -> list[tuple[Any, Any]]:
        raise smi_error.NotWritableError(idx=0)


def readable_community(device: Any, name: str) -> dict[str, str] | None:
    """The device's enabled, readable `/snmp/community` row called `name`, if any."""
    for row in device.print("/snmp/community"):
        if (
            row.get("name") == name
            and row.get("disabled", "false") in ("false", "no")
            and row.get("read-access", "true") in ("true", "yes")
        ):
            return row
    return None


def usm_user(row: dict[str, str]) -> tuple[str, Any, str | None, Any, str | None] | None:
    """pysnmp USM settings for a RouterOS v3 community (security authorized/private)."""
    security = row.get("security", "none")
    if security not in ("authorized", "private"):
        return None
    auth = AUTH_PROTOCOLS.get(row.get("authentication-protocol", "MD5").upper())
    priv = PRIV_PROTOCOLS.get(row.get("encryption-protocol", "DES").upper())
    auth_key = row.get("authentication-password") or None
    priv_key = row.get("encryption-password") or None
    if auth is None or auth_key is None:
        return None
    if security == "private" and priv is not None and priv_key is not None:
        return row["name"], auth, auth_key, priv, priv_key
    return row["name"], auth, auth_key, config.USM_PRIV_NONE, None


class FleetSnmpAgent:
    """The engine, its responders and the transport: one per fleet, however many sockets."""

    def __init__(self, fleet: Any) -> None:
        self._fleet = fleet
        self._loop = asyncio.get_running_loop()
        self._sockets: set[socket.socket] = set()
        self._communities: set[str] = set()
        self._users: dict[str, tuple[Any, ...]] = {}
        self.engine = engine.SnmpEngine()
        self.engine.register_transport_dispatcher(AsyncioDispatcher(loop=self._loop))
        self.transport = FleetUdpTransport(self._loop, self._admit)
        self.transport.set_reply_filter(self._mangle_reply)
        config.add_transport(self.engine, udp.DOMAIN_NAME, self.transport)
        snmp_context = context.SnmpContext(self.engine)
        snmp_context.unregister_context_name(b"")
        snmp_context.register_context_name(b"", FleetMibInstrumentation(fleet))
        self._responders = [
            responder(self.engine, snmp_context)
            for responder in (
                cmdrsp.GetCommandResponder,
                cmdrsp.NextCommandResponder,
                cmdrsp.BulkCommandResponder,
            )
        ]

    def add_socket(self, sock: socket.socket) -> None:
        self._sockets.add(sock)
        self.transport.add_socket(sock)

    def remove_socket(self, sock: socket.socket) -> bool:
        """Stop reading `sock`; True when no socket is left."""
        self._sockets.discard(sock)
        self.transport.remove_socket(sock)
        return not self._sockets

    def _admit(self, local: SockName, data: bytes, deliver: Callable[[], None]) -> None:
        """Decide as the device would whether this request gets an answer, and when."""
        device = self._fleet.device_for_sockname(local)
        if device is None or not device.is_reachable("snmp") or device.is_blackholed():
            return
        principal = message_principal(data)
        if principal is None or not self._authorise(device, *principal):
            return  # RouterOS stays silent for unknown communities and users
        delay = device.reply_delay_s()
        if delay > 0:
            self._loop.call_later(delay, deliver)
        else:
            deliver()

    def _authorise(self, device: Any, version: int, name: str) -> bool:
        if version == 3 and not name:
            return True  # engine discovery: answered with a report, no data
        row = readable_community(device, name)
        if row is None:
            return False
        if version in (0, 1):
            if row.get("security", "none") != "none":
                return False
            if name not in self._communities:
                config.add_v1_system(self.engine, f"c{len(self._communities)}", name)
                self._communities.add(name)
            return True
        user = usm_user(row)
        if user is None:
            return False
        if self._users.get(name) != user:
            if name in self._users:
                config.delete_v3_user(self.engine, name)
            config.add_v3_user(self.engine, *user)
            self._users[name] = user
        return True

    def _mangle_reply(self, local: SockName, reply: bytes) -> bytes | None:
        device = self._fleet.device_for_sockname(local)
        if device is None or device.fault is None:
            return reply
        data, action = device.mangle_reply(reply)
        return None if action == "reset" else data

    async def close(self) -> None:
        for sock in list(self._sockets):
            self.remove_socket(sock)
        for responder in self._responders:
            responder.close(self.engine)
        config.delete_transport(self.engine, udp.DOMAIN_NAME)
        if self.engine.transport_dispatcher is not None:
            self.engine.close_dispatcher()


_agents: weakref.WeakKeyDictionary[Any, FleetSnmpAgent] = weakref.WeakKeyDictionary()


async def serve(fleet: Any, sock: socket.socket) -> Callable[[], Any]:
    """Answer SNMP on `sock` for the fleet's devices; returns the (async) closer.

    In the fleet's port mode `serve` runs once per device socket: they all share one agent.
    """
    agent = _agents.get(fleet)
    if agent is None:
        agent = _agents[fleet] = FleetSnmpAgent(fleet)
    agent.add_socket(sock)

    async def close() -> None:
        if agent.remove_socket(sock) and _agents.get(fleet) is agent:
            del _agents[fleet]
            await agent.close()

    return close
