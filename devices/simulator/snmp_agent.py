"""SNMP agent (v2c and v3 authPriv) for the whole simulated fleet on one UDP socket.

pysnmp's engine does the protocol work (BER, community check, USM authentication and
privacy); two pieces are ours:

* `FleetUdpTransport` reads datagrams with `recvmsg` and IP_PKTINFO, so each request carries
  the address it was sent to (the simulated device), and answers *from* that address via
  `sendmsg` with an IP_PKTINFO ancillary message.
* `FleetMibInstrumentation` stands where pysnmp's MIB controller would: it finds the device
  by that destination address and answers GET/GETNEXT (and so GETBULK) from a MIB built on
  demand from `device.snmp_view()` (see `snmp_mib`).

Every device shares one engine, so one snmpEngineID (a real fleet would have one per
router); SNMP clients key engine discovery by target address, so this does not matter to them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
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

IP_PKTINFO = getattr(
    socket, "IP_PKTINFO", 8
)  # Linux value; Python < 3.13 lacks the name
IN_PKTINFO = struct.Struct("@i4s4s")  # ipi_ifindex, ipi_spec_dst, ipi_addr
ANCILLARY_SPACE = socket.CMSG_SPACE(IN_PKTINFO.size)
MAX_DATAGRAM = 65535
DATAGRAMS_PER_WAKEUP = 64

BLACK_HOLE_FAULTS = frozenset({"blackhole", "black_hole", "black-hole", "offline"})
GARBAGE_FAULTS = frozenset({"garbage", "truncated"})

DEFAULT_COMMUNITY = "public"
DEFAULT_V3_USER = {
    "user": "snmpv3",
    "auth_protocol": "SHA",
    "auth_key": "authpass123",
    "priv_protocol": "AES",
    "priv_key": "privpass123",
}

AUTH_PROTOCOLS = {
    "MD5": config.USM_AUTH_HMAC96_MD5,
    "SHA": config.USM_AUTH_HMAC96_SHA,
    "SHA1": config.USM_AUTH_HMAC96_SHA,
    "SHA256": config.USM_AUTH_HMAC192_SHA256,
}
PRIV_PROTOCOLS = {
    "DES": config.USM_PRIV_CBC56_DES,
    "AES": config.USM_PRIV_CFB128_AES,
    "AES128": config.USM_PRIV_CFB128_AES,
}


class FleetUdpTransport(udp.UdpAsyncioTransport):
    """pysnmp UDP transport on a shared socket that knows which device each datagram was for."""

    def __init__(
        self,
        sock: socket.socket,
        loop: asyncio.AbstractEventLoop,
        admit: Callable[[str, tuple[str, int], Callable[[], None]], None],
    ) -> None:
        super().__init__(loop=loop)
        self._sock = sock
        self._admit = admit
        self._listening = False

    def open_server_mode(
        self, iface: Any = None, sock: Any = None
    ) -> FleetUdpTransport:
        self._sock.setblocking(False)
        self._sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        self.loop.add_reader(self._sock.fileno(), self._read_datagrams)
        self._listening = True
        return self

    def close_transport(self) -> None:
        if self._listening:
            self.loop.remove_reader(self._sock.fileno())
            self._listening = False
        # The fleet owns the socket; pysnmp's own bookkeeping only.
        self._callback_function = None

    def _read_datagrams(self) -> None:
        for _ in range(DATAGRAMS_PER_WAKEUP):
            try:
                data, ancillary, _flags, peer = self._sock.recvmsg(
                    MAX_DATAGRAM, ANCILLARY_SPACE
                )
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.exception("SNMP socket read failed")
                return
            local = _destination_address(ancillary)
            if local is None:
                local = self._sock.getsockname()[0]
            address = udp.UdpTransportAddress(peer).set_local_address(local)
            self._admit(local, peer, lambda a=address, d=data: self._deliver(a, d))

    def _deliver(self, address: udp.UdpTransportAddress, data: bytes) -> None:
        if self._callback_function is not None:
            self._callback_function(self, address, data)

    def send_message(self, outgoingMessage: bytes, transportAddress: Any) -> None:
        local = getattr(transportAddress, "get_local_address", lambda: None)()
        peer = (transportAddress[0], transportAddress[1])
        self.send_from(outgoingMessage, local, peer)

    def send_from(
        self, payload: bytes, local: str | None, peer: tuple[str, int]
    ) -> None:
        """Send `payload` to `peer` with `local` as its source address (the device's)."""
        ancillary = []
        if local:
            spec = IN_PKTINFO.pack(0, socket.inet_aton(local), bytes(4))
            ancillary.append((socket.IPPROTO_IP, IP_PKTINFO, spec))
        try:
            self._sock.sendmsg([payload], ancillary, 0, peer)
        except OSError:
            log.warning("SNMP reply to %s from %s failed", peer, local, exc_info=True)


def _destination_address(ancillary: list[tuple[int, int, bytes]]) -> str | None:
    for level, kind, data in ancillary:
        if (
            level == socket.IPPROTO_IP
            and kind == IP_PKTINFO
            and len(data) >= IN_PKTINFO.size
        ):
            _ifindex, _spec_dst, header_dst = IN_PKTINFO.unpack_from(data)
            return socket.inet_ntoa(header_dst)
    return None


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
        request = snmp_engine.observer.get_execution_context(
            "rfc3412.receiveMessage:request"
        )
        pdu = request["pdu"]
        is_v1 = request["securityModel"] == 1
        if pdu is self._cached_pdu and self._cached_mib is not None:
            return self._cached_mib, is_v1
        local = request["transportAddress"].get_local_address()
        device = self._fleet.device_for_address(local)
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

    def read_next_variables(
        self, *var_binds: Any, **context_: Any
    ) -> list[tuple[Any, Any]]:
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

    def write_variables(
        self, *var_binds: Any, **context_: Any
    ) -> list[tuple[Any, Any]]:
        raise smi_error.NotWritableError(idx=0)


class FleetSnmpAgent:
    """The engine, its USM/community configuration and the responders, on one socket."""

    def __init__(self, fleet: Any, sock: socket.socket) -> None:
        self._fleet = fleet
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self.engine = engine.SnmpEngine()
        self.engine.register_transport_dispatcher(AsyncioDispatcher(loop=self._loop))
        self.transport = FleetUdpTransport(sock, self._loop, self._admit)
        config.add_transport(
            self.engine, udp.DOMAIN_NAME, self.transport.open_server_mode()
        )
        settings = snmp_settings(fleet)
        config.add_v1_system(self.engine, "fleet-community", settings["community"])
        for user in settings["v3_users"]:
            config.add_v3_user(
                self.engine,
                user["user"],
                AUTH_PROTOCOLS[str(user["auth_protocol"]).upper()],
                user["auth_key"],
                PRIV_PROTOCOLS[str(user["priv_protocol"]).upper()],
                user["priv_key"],
            )
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

    def _admit(
        self, local: str, peer: tuple[str, int], deliver: Callable[[], None]
    ) -> None:
        """Apply reachability and faults before pysnmp sees the datagram."""
        device = self._fleet.device_for_address(local)
        if device is None or not device.is_reachable("snmp"):
            return
        fault = fault_name(device)
        if fault is None:
            deliver()
        elif fault not in BLACK_HOLE_FAULTS:
            task = self._loop.create_task(
                self._answer_with_fault(device, fault, local, peer, deliver)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer_with_fault(
        self,
        device: Any,
        fault: str,
        local: str,
        peer: tuple[str, int],
        deliver: Callable[[], None],
    ) -> None:
        await device.reply_delay()
        if fault in GARBAGE_FAULTS:
            self.transport.send_from(os.urandom(48), local, peer)
        else:
            deliver()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for responder in self._responders:
            responder.close(self.engine)
        config.delete_transport(self.engine, udp.DOMAIN_NAME)
        if self.engine.transport_dispatcher is not None:
            self.engine.close_dispatcher()


def fault_name(device: Any) -> str | None:
    fault = getattr(device, "fault", None)
    if not fault:
        return None
    return str(
        getattr(fault, "kind", None) or getattr(fault, "name", None) or fault
    ).lower()


def snmp_settings(fleet: Any) -> dict[str, Any]:
    """Community and v3 users from the fleet's configuration, with RouterOS-like defaults."""
    configured = getattr(fleet, "snmp", None) or getattr(fleet, "config", None) or {}
    if not isinstance(configured, dict):
        configured = vars(configured)
    snmp = configured.get("snmp", configured)
    users = snmp.get("v3_users") or ([snmp["v3_user"]] if snmp.get("v3_user") else [])
    return {
        "community": snmp.get("community") or DEFAULT_COMMUNITY,
        "v3_users": users or [DEFAULT_V3_USER],
    }


async def serve(fleet: Any, sock: socket.socket) -> FleetSnmpAgent:
    """Start answering SNMP for every device of `fleet` on `sock`; returns the closer."""
    return FleetSnmpAgent(fleet, sock)
