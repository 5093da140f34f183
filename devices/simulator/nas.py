"""A simulated device as a RADIUS NAS: hotspot/PPP subscribers authenticated against `/radius`.

What RouterOS does, reduced to what the platform's RADIUS server sees: an Access-Request to the
first `/radius` entry whose `service` covers the login (PAP for hotspot by default, CHAP and
MS-CHAPv2 selectable; NAS-Identifier = identity, NAS-IP-Address, Calling-Station-Id = MAC,
Framed-IP-Address, Message-Authenticator), sent from the device's own loopback address so the
server can tell NAS apart by source (also in port mode: binding a 127.0.0.0/8 source needs no
root). An Accept becomes an active session (`/ip/hotspot/active` or `/ppp/active`) honouring
Session-Timeout, Idle-Timeout, Mikrotik-Rate-Limit and Acct-Interim-Interval, with accounting
Start / Interim-Update / Stop whose counters grow at a synthetic per-session rate (Gigawords
past 4 GiB). With `/radius incoming accept=yes` the device listens on `port` for
Disconnect-Request (ends the session: Stop with Admin-Reset, Disconnect-ACK; NAK with
Error-Cause 503 for an unknown session) and CoA-Request (a new Mikrotik-Rate-Limit for the live
session, CoA-ACK); requests with a bad authenticator or from no configured server are dropped.

The NAS follows its device: a reboot (`/system reboot`, the upgrade's reboot, a reboot-loop
fault's down phase) ends every session without a Stop, as the sessions do not survive the boot,
and once the device is up again it sends Accounting-On (RFC 2866, Acct-Status-Type 7) to each
accounting server, which closes that NAS's open sessions there. While the device is rebooting,
offline or black-holed it sends nothing (a login answers "not-sent") and drops Disconnect/CoA.

Sessions run on real time; `Fleet(radius_interim=…)` or `login(interim_interval=…)` compresses
the interim interval for tests. Byte limits from the reply (Mikrotik-*-Limit) are shown on the
session row but not enforced locally: ending sessions for limits is the server's job here.
Uses the project's `radius.protocol` codec, which is pure Python and imports without Django.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from radius.protocol.client import RadiusClient, RadiusTimeout, access_request
from radius.protocol.errors import PacketError
from radius.protocol.packet import Code, Packet, decode_packet

from .faults import parse_duration
from .views import uptime_text

if TYPE_CHECKING:
    from .device import SimDevice

log = logging.getLogger(__name__)

SERVICES = ("hotspot", "ppp")
METHODS = ("pap", "chap", "mschap2")
ACCOUNTING_TIMEOUT = 1.0  # the server answers accounting once written (batched): be patient
ACCOUNTING_RETRIES = 3
SESSION_NOT_FOUND = 503  # Error-Cause Session-Context-Not-Found (RFC 5176)
_UNITS = {"k": 1000, "K": 1000, "m": 1_000_000, "M": 1_000_000, "g": 1_000_000_000, "G": 1_000_000_000}
_session_ids = itertools.count(0x81A00000)


def parse_rate(text: str) -> tuple[int, int]:
    """Mikrotik-Rate-Limit's first pair `rx[/tx]` in bits/s (k/M/G = 10^3/6/9); 0 = unlimited.

    rx is what the router receives (the subscriber's upload), tx what it sends (download)."""
    first = text.strip().split()[0] if text.strip() else ""
    if not first:
        return 0, 0
    parts = first.split("/")

    def one(value: str) -> int:
        value = value.strip()
        if value and value[-1] in _UNITS:
            return int(float(value[:-1]) * _UNITS[value[-1]])
        return int(float(value or 0))

    rx = one(parts[0])
    tx = one(parts[1]) if len(parts) > 1 else rx
    return rx, tx


@dataclass
class RadiusServerEntry:
    """One `/radius` row as the NAS uses it."""

    address: str
    secret: bytes
    auth_port: int
    acct_port: int
    timeout: float


@dataclass
class Subscriber:
    """One logged-in subscriber; counters are floats of bytes, advanced by `advance()`."""

    session_id: str
    user: str
    service: str
    method: str
    mac: str
    address: str
    server: RadiusServerEntry
    demand_bps: int  # what the subscriber would download without a rate limit
    started: float
    rate_limit: str = ""
    session_timeout: int | None = None
    idle_timeout: int | None = None
    interim_interval: float | None = None
    limits: dict[str, int] = field(default_factory=dict)
    bytes_in: float = 0.0  # from the subscriber (upload, Acct-Input)
    bytes_out: float = 0.0  # to the subscriber (download, Acct-Output)
    last: float = 0.0
    coa_count: int = 0
    task: asyncio.Task | None = None
    ended: str = ""

    def rates(self) -> tuple[float, float]:
        """(upload, download) in bytes/s: the demand (upload a quarter of it), capped by the rate limit."""
        rx_limit, tx_limit = parse_rate(self.rate_limit)
        down = self.demand_bps if not tx_limit else min(self.demand_bps, tx_limit)
        up = self.demand_bps / 4 if not rx_limit else min(self.demand_bps / 4, rx_limit)
        return up / 8, down / 8

    def advance(self, now: float) -> None:
        up, down = self.rates()
        elapsed = max(0.0, now - self.last)
        self.bytes_in += up * elapsed
        self.bytes_out += down * elapsed
        self.last = now

    def uptime(self, now: float) -> int:
        return int(now - self.started)

    def describe(self, now: float) -> dict[str, Any]:
        self.advance(now)
        return {
            "session_id": self.session_id,
            "user": self.user,
            "service": self.service,
            "method": self.method,
            "mac_address": self.mac,
            "address": self.address,
            "uptime_s": self.uptime(now),
            "rate_limit": self.rate_limit,
            "session_timeout": self.session_timeout,
            "idle_timeout": self.idle_timeout,
            "interim_interval": self.interim_interval,
            "bytes_in": int(self.bytes_in),
            "bytes_out": int(self.bytes_out),
            "coa_count": self.coa_count,
            "limits": dict(self.limits),
        }


class _Incoming(asyncio.DatagramProtocol):
    def __init__(self, nas: DeviceNas) -> None:
        self.nas = nas
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        reply = self.nas.incoming(data, addr[0])
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        pass


class DeviceNas:
    """The RADIUS client side of one simulated device (created by `Fleet.nas(index)`)."""

    def __init__(self, device: SimDevice, source: str, interim_override: float | None = None) -> None:
        self.device = device
        self.source = source  # the device's own 127.x.y.z, whatever the fleet's listening mode
        self.interim_override = interim_override
        self.sessions: dict[str, Subscriber] = {}
        self.ended: list[dict[str, Any]] = []  # the last sessions that ended, newest last
        self.incoming_stats = {"disconnect": 0, "coa": 0, "nak": 0, "dropped": 0}
        self._listener: asyncio.DatagramTransport | None = None
        self._listening: tuple[str, int] | None = None
        self._serial = itertools.count(1)
        self._cancelled: set[asyncio.Task] = set()
        self.loop: asyncio.AbstractEventLoop | None = None  # the fleet's: reboots arrive from any thread
        self._boot_task: asyncio.Task | None = None
        self.accounting_on_sent = 0

    # --- configuration ----------------------------------------------------------------------
    def servers(self, service: str) -> list[RadiusServerEntry]:
        """Enabled `/radius` entries whose `service` covers `service`, in table order."""
        out = []
        for row in self.device.state.tables.get("/radius", ()):
            services = {s.strip() for s in str(row.get("service", "")).split(",")}
            if row.get("disabled") == "yes" or service not in services or not row.get("address"):
                continue
            out.append(
                RadiusServerEntry(
                    address=str(row["address"]),
                    secret=str(row.get("secret", "")).encode(),
                    auth_port=int(row.get("authentication-port") or 1812),
                    acct_port=int(row.get("accounting-port") or 1813),
                    timeout=parse_duration(str(row.get("timeout") or "300ms")) or 0.3,
                )
            )
        return out

    def incoming_config(self) -> tuple[bool, int]:
        values = self.device.state.singles.get("/radius/incoming", {})
        return values.get("accept") in ("yes", "true", True), int(values.get("port") or 3799)

    async def sync_incoming(self) -> None:
        """Listen for Disconnect/CoA requests iff `/radius incoming accept=yes` (on its `port`)."""
        accept, port = self.incoming_config()
        wanted = (self.source, port) if accept else None
        if wanted == self._listening:
            return
        self.close_incoming()
        if wanted is None:
            return
        loop = asyncio.get_running_loop()
        self._listener, _ = await loop.create_datagram_endpoint(lambda: _Incoming(self), local_addr=wanted)
        self._listening = wanted

    def close_incoming(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self._listener, self._listening = None, None

    # --- logging in and out -----------------------------------------------------------------
    async def login(
        self,
        user: str,
        password: str,
        *,
        service: str = "hotspot",
        method: str | None = None,
        mac: str | None = None,
        address: str | None = None,
        rate_bps: int = 8_000_000,
        interim_interval: float | None = None,
    ) -> dict[str, Any]:
        """Authenticate `user` like a hotspot/PPP login. Returns {"result": "accept" | "reject" |
        "timeout" | "no-radius" | "not-sent" (the device is down/black-holed), "reason",
        "session": {...} on accept}."""
        if service not in SERVICES:
            raise ValueError(f"service must be one of {', '.join(SERVICES)}")
        method = method or ("pap" if service == "hotspot" else "mschap2")
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        if not user:
            raise ValueError("user is required")
        if rate_bps < 0:
            raise ValueError("rate_bps must not be negative")
        self.loop = asyncio.get_running_loop()
        why = self.silent()
        if why:
            return {"result": "not-sent", "reason": f"the router is {why}: no Access-Request sent"}
        await self.sync_incoming()
        servers = self.servers(service)
        if not servers:
            return {"result": "no-radius", "reason": f"no /radius entry with service={service}"}
        n = next(self._serial)
        mac = mac or self.device.hw.mac(0xC0 + n % 60)
        base = "10.5.50" if service == "hotspot" else "10.200.0"
        address = address or f"{base}.{100 + n % 150}"
        attributes = {
            "Service_Type": "Login-User" if service == "hotspot" else "Framed-User",
            "NAS_Identifier": self.device.identity,
            "NAS_IP_Address": self.source,
            "NAS_Port_Type": "Wireless-802.11" if service == "hotspot" else "Virtual",
            "NAS_Port_Id": "bridge-hotspot" if service == "hotspot" else f"<pppoe-{user}>",
            "Calling_Station_Id": mac,
            "Called_Station_Id": "hotspot1" if service == "hotspot" else "service1",
            "Framed_IP_Address": address,
        }
        if service == "ppp":
            attributes["Framed_Protocol"] = "PPP"
        reason = "no answer from any RADIUS server"
        for server in servers:
            request = access_request(user, password, server.secret, method=method, **attributes)
            try:
                async with RadiusClient(
                    server.address,
                    server.auth_port,
                    server.secret,
                    timeout=server.timeout,
                    retries=1,
                    source=self.source,
                ) as client:
                    reply = await client.send(request)
            except (RadiusTimeout, OSError):
                continue  # RouterOS tries the next server
            if reply.code != Code.ACCESS_ACCEPT:
                message = reply.get("Reply-Message", "")
                self.device.log("hotspot,info,debug", f"{user} ({address}): login failed: RADIUS server rejected")
                return {"result": "reject", "reason": str(message or "rejected by RADIUS server")}
            session = self._start(user, service, method, mac, address, server, reply, rate_bps, interim_interval)
            await self._account(session, "Start")
            session.task = asyncio.get_running_loop().create_task(self._run(session))
            self.device.log("hotspot,account,info", f"{user} ({address}): logged in by RADIUS")
            return {"result": "accept", "reason": "", "session": session.describe(time.monotonic())}
        return {"result": "timeout", "reason": reason}

    def _start(self, user, service, method, mac, address, server, reply: Packet, rate_bps, interim) -> Subscriber:
        now = time.monotonic()
        framed = reply.get("Framed-IP-Address")
        limits = {}
        for name in ("Mikrotik-Recv-Limit", "Mikrotik-Xmit-Limit", "Mikrotik-Total-Limit"):
            value = reply.get(name)
            if isinstance(value, int):
                value += (reply.get(name + "-Gigawords", 0) or 0) << 32
                limits[name.removeprefix("Mikrotik-").lower()] = value
        session_id = f"{next(_session_ids):08x}"
        session = Subscriber(
            session_id=session_id,
            user=user,
            service=service,
            method=method,
            mac=mac,
            address=str(framed) if framed else address,
            server=server,
            demand_bps=rate_bps,
            started=now,
            last=now,
            rate_limit=str(reply.get("Mikrotik-Rate-Limit", "") or ""),
            session_timeout=reply.get("Session-Timeout"),
            idle_timeout=reply.get("Idle-Timeout"),
            limits=limits,
        )
        given = reply.get("Acct-Interim-Interval")
        session.interim_interval = self.interim_override or interim or (float(given) if given else None)
        self.sessions[session_id] = session
        self.device.generation += 1  # print replies are cached per generation
        return session

    async def logout(self, user: str | None = None, session_id: str | None = None, cause: str = "User-Request") -> int:
        """End the matching sessions (all of `user`'s, or one by id) with `cause`; how many ended."""
        ended = 0
        for session in list(self.sessions.values()):
            if (session_id and session.session_id == session_id) or (user and not session_id and session.user == user):
                await self.end(session, cause)
                ended += 1
        return ended

    async def end(self, session: Subscriber, cause: str) -> None:
        """Remove the session and send its Stop (once)."""
        if session.ended or self.sessions.pop(session.session_id, None) is None:
            return
        session.ended = cause
        self.device.generation += 1
        now = time.monotonic()
        session.advance(now)
        if session.task is not None and session.task is not asyncio.current_task():
            session.task.cancel()
            self._cancelled.add(session.task)
            session.task.add_done_callback(self._cancelled.discard)
        self.ended.append({**session.describe(now), "terminate_cause": cause})
        del self.ended[:-50]
        self.device.log("hotspot,account,info", f"{session.user} ({session.address}): logged out: {cause}")
        await self._account(session, "Stop", cause)

    async def _run(self, session: Subscriber) -> None:
        """Interim updates, Session-Timeout and Idle-Timeout of one session."""
        next_interim = session.started + session.interim_interval if session.interim_interval else None
        while not session.ended:
            now = time.monotonic()
            if session.session_timeout and now - session.started >= session.session_timeout:
                await self.end(session, "Session-Timeout")
                return
            up, down = session.rates()
            if session.idle_timeout and up + down == 0 and now - session.started >= session.idle_timeout:
                await self.end(session, "Idle-Timeout")
                return
            if next_interim is not None and now >= next_interim:
                await self._account(session, "Interim-Update")
                next_interim = now + (session.interim_interval or 0)
            waits = [0.5]
            if next_interim is not None:
                waits.append(next_interim - now)
            if session.session_timeout:
                waits.append(session.started + session.session_timeout - now)
            await asyncio.sleep(max(0.01, min(waits)))

    async def _account(self, session: Subscriber, status: str, cause: str | None = None) -> bool:
        if self.silent():
            return False  # nothing leaves a device that is down or cut off
        server = session.server
        now = time.monotonic()
        session.advance(now)
        packet = Packet(Code.ACCOUNTING_REQUEST, secret=server.secret)
        packet.add("Acct-Status-Type", status)
        packet.add("Acct-Session-Id", session.session_id)
        packet.add("User-Name", session.user)
        packet.add("NAS-Identifier", self.device.identity)
        packet.add("NAS-IP-Address", self.source)
        packet.add("Calling-Station-Id", session.mac)
        packet.add("Framed-IP-Address", session.address)
        packet.add("Acct-Authentic", "RADIUS")
        if status != "Start":
            inbound, outbound = int(session.bytes_in), int(session.bytes_out)
            packet.add("Acct-Session-Time", session.uptime(now))
            packet.add("Acct-Input-Octets", inbound & 0xFFFFFFFF)
            packet.add("Acct-Input-Gigawords", inbound >> 32)
            packet.add("Acct-Output-Octets", outbound & 0xFFFFFFFF)
            packet.add("Acct-Output-Gigawords", outbound >> 32)
            packet.add("Acct-Input-Packets", (inbound // 1000) & 0xFFFFFFFF)
            packet.add("Acct-Output-Packets", (outbound // 1000) & 0xFFFFFFFF)
        if cause:
            packet.add("Acct-Terminate-Cause", cause)
        return await self._send_accounting(server, packet, f"accounting {status} for {session.user}")

    async def _send_accounting(self, server: RadiusServerEntry, packet: Packet, what: str) -> bool:
        """Send an Accounting-Request from the device's address; False (logged) without an answer."""
        try:
            async with RadiusClient(
                server.address,
                server.acct_port,
                server.secret,
                timeout=max(server.timeout, ACCOUNTING_TIMEOUT),
                retries=ACCOUNTING_RETRIES,
                source=self.source,
            ) as client:
                await client.send(packet)
        except (RadiusTimeout, OSError):
            self.device.log("radius,warning", f"{what}: no answer")
            return False
        return True

    # --- following the device: reboots, offline, black hole ---------------------------------
    def silent(self) -> str:
        """Why the device neither sends nor answers RADIUS now ("rebooting", "offline", …); "" if it does."""
        dev = self.device
        if dev.is_rebooting():
            return "rebooting"
        fault = dev.fault
        if fault is not None and (fault.kind == "blackhole" or fault.is_down(reboot_s=dev.ctx.reboot_seconds)):
            return "rebooting" if fault.kind == "reboot-loop" else fault.kind
        return ""

    def device_rebooted(self) -> None:
        """From any thread, when the device goes down for a reboot: end its sessions, then
        Accounting-On once it is back (see the module docstring)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return  # the NAS never ran: nothing to end, nobody to tell
        loop.call_soon_threadsafe(self._rebooted)

    def _rebooted(self) -> None:
        now = time.monotonic()
        for session in list(self.sessions.values()):
            del self.sessions[session.session_id]
            session.ended = "NAS-Reboot"
            session.advance(now)
            if session.task is not None:
                session.task.cancel()
                self._cancelled.add(session.task)
                session.task.add_done_callback(self._cancelled.discard)
            self.ended.append({**session.describe(now), "terminate_cause": "NAS-Reboot"})
        del self.ended[:-50]
        self.device.generation += 1
        self.close_incoming()
        if self._boot_task is None or self._boot_task.done():
            self._boot_task = asyncio.get_running_loop().create_task(self._after_boot())

    async def _after_boot(self) -> None:
        while self.silent():
            await asyncio.sleep(0.05)
        with contextlib.suppress(OSError):
            await self.sync_incoming()
        sent = set()
        for server in self.servers("hotspot") + self.servers("ppp"):
            target = (server.address, server.acct_port, server.secret)
            if target not in sent:
                sent.add(target)
                await self._accounting_on(server)

    async def _accounting_on(self, server: RadiusServerEntry) -> bool:
        packet = Packet(Code.ACCOUNTING_REQUEST, secret=server.secret)
        packet.add("Acct-Status-Type", "Accounting-On")
        packet.add("Acct-Session-Id", "00000000")  # RFC 2866: in every Accounting-Request
        packet.add("NAS-Identifier", self.device.identity)
        packet.add("NAS-IP-Address", self.source)
        if not await self._send_accounting(server, packet, f"accounting-on to {server.address}"):
            return False
        self.accounting_on_sent += 1
        return True

    # --- Disconnect / CoA -------------------------------------------------------------------
    def incoming(self, data: bytes, source: str) -> bytes | None:
        """Answer one Disconnect-/CoA-Request; None (dropped) when it cannot be verified or the
        device is down or black-holed."""
        if self.silent():
            self.incoming_stats["dropped"] += 1
            return None
        entries = [
            row
            for row in self.device.state.tables.get("/radius", ())
            if row.get("address") == source and row.get("disabled") != "yes"
        ]
        for row in entries:
            try:
                request = decode_packet(data, str(row.get("secret", "")).encode())
                request.verify_request()
            except PacketError:
                continue
            if request.code not in (Code.DISCONNECT_REQUEST, Code.COA_REQUEST):
                break
            return self._decide(request).encode()
        self.incoming_stats["dropped"] += 1
        return None

    def _find(self, request: Packet) -> Subscriber | None:
        session_id = request.get("Acct-Session-Id")
        user = request.get("User-Name")
        framed = request.get("Framed-IP-Address")
        for session in self.sessions.values():
            if session_id is not None:
                if session.session_id == session_id:
                    return session
                continue
            if user is not None and session.user == user and (framed is None or str(framed) == session.address):
                return session
            if user is None and framed is not None and str(framed) == session.address:
                return session
        return None

    def _decide(self, request: Packet) -> Packet:
        disconnect = request.code == Code.DISCONNECT_REQUEST
        session = self._find(request)
        if session is None:
            self.incoming_stats["nak"] += 1
            reply = request.reply(Code.DISCONNECT_NAK if disconnect else Code.COA_NAK)
            reply.add("Error-Cause", SESSION_NOT_FOUND)
            return reply
        if disconnect:
            self.incoming_stats["disconnect"] += 1
            # the Stop goes out after the ACK, as on RouterOS
            asyncio.get_running_loop().create_task(self.end(session, "Admin-Reset"))
            return request.reply(Code.DISCONNECT_ACK)
        self.incoming_stats["coa"] += 1
        rate = request.get("Mikrotik-Rate-Limit")
        if rate is not None:
            session.advance(time.monotonic())  # bytes so far at the old rate
            session.rate_limit = str(rate)
        timeout = request.get("Session-Timeout")
        if isinstance(timeout, int):
            session.session_timeout = timeout
        session.coa_count += 1
        self.device.generation += 1
        self.device.log("radius,info", f"CoA for {session.user}: rate-limit={session.rate_limit}")
        return request.reply(Code.COA_ACK)

    # --- views ------------------------------------------------------------------------------
    def describe(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        return [s.describe(now) for s in self.sessions.values()]

    def active_rows(self, service: str, start: int) -> list[dict[str, str]]:
        """Rows for `/ip/hotspot/active` or `/ppp/active` (ids from `start`), radius=true."""
        now = time.monotonic()
        out = []
        for session in self.sessions.values():
            if session.service != service:
                continue
            session.advance(now)
            uptime = session.uptime(now)
            common = {
                ".id": f"*{start + len(out):X}",
                "address": session.address,
                "uptime": uptime_text(uptime),
                "radius": "true",
                "rate-limit": session.rate_limit,
            }
            if session.session_timeout:
                common["session-time-left"] = uptime_text(max(0, session.session_timeout - uptime))
            if service == "hotspot":
                out.append(
                    {
                        **common,
                        "server": "hotspot1",
                        "user": session.user,
                        "mac-address": session.mac,
                        "login-by": "http-pap" if session.method == "pap" else "http-chap",
                        "idle-time": "0s",
                        "idle-timeout": uptime_text(session.idle_timeout) if session.idle_timeout else "",
                        "bytes-in": str(int(session.bytes_in)),
                        "bytes-out": str(int(session.bytes_out)),
                        "packets-in": str(int(session.bytes_in) // 1000),
                        "packets-out": str(int(session.bytes_out) // 1000),
                        "limit-bytes-total": str(session.limits.get("total-limit", 0)),
                    }
                )
            else:
                out.append(
                    {
                        **common,
                        "name": session.user,
                        "service": "pppoe",
                        "caller-id": session.mac,
                        "encoding": "MPPE128 stateless" if session.method == "mschap2" else "",
                        "session-id": f"0x{session.session_id.upper()}",
                        "limit-bytes-in": str(session.limits.get("recv-limit", 0)),
                        "limit-bytes-out": str(session.limits.get("xmit-limit", 0)),
                    }
                )
        return out

    async def close(self) -> None:
        """Stop timers and the listener (no Stops: the device is going away with the fleet)."""
        tasks = [s.task for s in self.sessions.values() if s.task is not None] + list(self._cancelled)
        if self._boot_task is not None:
            tasks.append(self._boot_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.close_incoming()
