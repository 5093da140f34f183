"""The polling engine: one asyncio (uvloop) event loop per worker process, in a background thread,
holding a pool of open device connections keyed by device (RouterOS API / API-SSL, a REST
keep-alive HTTPS session, an SSH connection, or an SNMP session).

Celery task threads hand it a batch of `PollTarget`s (`PollEngine.poll(targets)`); each device's
conversation starts at its due time, at most `concurrency` are in flight at once, and the batch's
`PollResult`s come back when all are done. Connections stay open between polls (no TCP/TLS
handshake and no login per poll: no login flood either) and are closed when idle, when the
device's connection settings or credentials change (the target's `fingerprint`), or after an
error. The commands of one poll are pipelined (tagged) on the connection: one round trip.
REST runs the same `print` commands as GETs on its one keep-alive connection and SSH as CLI
`print`s (`collect_ssh`): their replies parse with the same code. SNMP reads the same
measurements from MIB-II, HOST-RESOURCES and MIKROTIK-MIB (`collect_snmp`). The endpoints are
tried in the device's order (preferred protocol, then the allowed fallbacks); a poll over a
fallback says so in its reason, and its connection is given up after `facts_every_s` so that
the preferred protocol is tried again.

Device faults are results, never exceptions: refused/reset → offline, no answer → unreachable,
login rejected (API trap, HTTP 401, SSH auth, SNMPv3 wrong key) → auth_failed (the caller blocks
the device until its credentials change), resource or interface menu failing or a garbled reply
→ degraded.
SNMP cannot tell a wrong community from a dead device (both are silence): unreachable. A
changed SSH host key → unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from devices.protocols.errors import GarbledReply, LoginRejected, PeerIdentityChanged
from devices.protocols.routeros_api import ConnectionClosed, FatalError, RawApi, TrapError, open_api

from .collect import DeviceMemory, Sample, commands_for, parse_replies
from .collect_snmp import poll_snmp

log = logging.getLogger(__name__)

ONLINE, OFFLINE, UNREACHABLE, AUTH_FAILED, DEGRADED = "online", "offline", "unreachable", "auth_failed", "degraded"


@dataclass(slots=True)
class Endpoint:
    protocol: str  # "api-ssl" | "api" | "rest" | "snmp" | "ssh"
    port: int
    ssl_context: ssl.SSLContext | None = None
    tls_fingerprint: str = ""  # sha256 hex of the peer certificate to pin ("" = the context decides)
    snmp: Any = None  # devices.protocols.snmp.SnmpAuth for "snmp"
    host_key: str = ""  # "ssh": the pinned "type base64" host key ("" = trust on first use)


@dataclass(slots=True)
class PollTarget:
    """Everything the engine needs to poll one device; built in the task's tenant context."""

    device_id: str
    tenant_id: str
    host: str
    endpoints: list[Endpoint]  # the preferred protocol first, then the allowed fallbacks
    username: str
    password: Any  # devices.keyring.Secret: revealed only when logging in (None: SNMP only)
    fingerprint: str  # changes whenever host, ports, protocol, TLS or credentials change
    due: float = 0.0  # epoch seconds; the poll starts no earlier


@dataclass(slots=True)
class PollResult:
    device_id: str
    tenant_id: str
    due: float
    started: float
    finished: float
    status: str
    reason: str = ""
    sample: Sample | None = None
    protocol: str = ""
    new_connection: bool = False
    host_key: str = ""  # SSH: the key a new connection's device presented (to pin on first use)

    @property
    def ok(self) -> bool:
        return self.status in (ONLINE, DEGRADED)


@dataclass(slots=True)
class _Connection:
    api: Any  # RawApi | RestApi | SnmpSession
    fingerprint: str
    protocol: str
    memory: DeviceMemory = field(default_factory=DeviceMemory)
    last_used: float = 0.0
    note: str = ""  # set when reached over a fallback: which protocols failed first
    opened: float = 0.0
    host_key: str = ""


class _AuthFailed(Exception):
    pass


class PollEngine:
    """A process-wide engine (see `engine()`); thread-safe `poll()`."""

    def __init__(
        self,
        *,
        concurrency: int = 200,
        connect_timeout: float = 10.0,
        command_timeout: float = 30.0,
        idle_close_s: float = 300.0,
        facts_every_s: float = 900.0,
        use_uvloop: bool = True,
    ) -> None:
        self.concurrency = concurrency
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self.idle_close_s = idle_close_s
        self.facts_every_s = facts_every_s
        self.use_uvloop = use_uvloop
        self._pool: dict[str, _Connection] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._sem: asyncio.Semaphore | None = None
        self._start_lock = threading.Lock()
        self.polls = 0

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if self.use_uvloop:
                import uvloop

                loop = uvloop.new_event_loop()
            else:
                loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                self._sem = asyncio.Semaphore(self.concurrency)
                loop.call_soon(ready.set)
                loop.create_task(self._reaper())
                loop.run_forever()

            self._loop = loop
            self._thread = threading.Thread(target=run, name="poll-engine", daemon=True)
            self._thread.start()
            ready.wait(10)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close_all(), loop).result(10)
        except Exception:  # noqa: BLE001 - closing is best effort
            log.warning("poll engine: closing connections failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = None

    def submit(self, coro) -> Future:
        self.start()
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    # ---------------------------------------------------------------- public API
    def poll(self, targets: Sequence[PollTarget], timeout: float | None = None) -> list[PollResult]:
        """Poll every target (each from its due time on); blocks the calling thread until done."""
        if not targets:
            return []
        return self.submit(self.poll_many(list(targets))).result(timeout)

    def forget(self, device_ids: Sequence[str]) -> None:
        """Close the pooled connections of these devices (credentials or settings changed)."""
        self.submit(self._forget(list(device_ids))).result(10)

    def forget_all(self) -> None:
        """Close every pooled connection (tests: before the simulated fleet goes away)."""
        if self._loop is not None:
            self.submit(self._close_all()).result(10)

    @property
    def open_connections(self) -> int:
        return len(self._pool)

    async def poll_many(self, targets: list[PollTarget]) -> list[PollResult]:
        return list(await asyncio.gather(*(self._poll_one(t) for t in targets)))

    # ---------------------------------------------------------------- internals
    async def _poll_one(self, target: PollTarget) -> PollResult:
        delay = target.due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        assert self._sem is not None
        async with self._sem:
            started = time.time()
            try:
                async with asyncio.timeout(self.connect_timeout * len(target.endpoints) + self.command_timeout):
                    result = await self._converse(target, started)
            except _AuthFailed as exc:
                result = self._failure(target, started, AUTH_FAILED, str(exc))
            except TimeoutError as exc:
                result = self._failure(target, started, UNREACHABLE, str(exc) or "no answer in time")
            except LoginRejected as exc:
                result = self._failure(target, started, AUTH_FAILED, str(exc))
            except GarbledReply as exc:
                result = self._failure(target, started, DEGRADED, f"garbled reply: {exc}")
            except PeerIdentityChanged as exc:
                result = self._failure(target, started, UNREACHABLE, str(exc))
            except ssl.SSLError as exc:
                result = self._failure(target, started, UNREACHABLE, f"TLS: {_tls_reason(exc)}")
            except (ConnectionClosed, FatalError, ConnectionError) as exc:
                result = self._failure(target, started, OFFLINE, _describe(exc))
            except OSError as exc:
                result = self._failure(target, started, OFFLINE, _describe(exc))
            except RuntimeError:  # uvloop: the transport was closed under us (reset by the peer)
                result = self._failure(target, started, OFFLINE, "connection reset")
            except Exception as exc:  # noqa: BLE001 - a device's fault never breaks the batch
                log.exception("poll of device %s failed unexpectedly", target.device_id)
                result = self._failure(target, started, DEGRADED, f"internal error: {type(exc).__name__}")
            if not result.ok:
                await self._drop(target.device_id)  # whatever state the conversation was left in
            self.polls += 1
            return result

    def _failure(self, target: PollTarget, started: float, status: str, reason: str) -> PollResult:
        return PollResult(target.device_id, target.tenant_id, target.due, started, time.time(), status, reason)

    async def _converse(self, target: PollTarget, started: float) -> PollResult:
        conn = self._pool.get(target.device_id)
        if conn is not None and (
            conn.fingerprint != target.fingerprint or (conn.note and started - conn.opened > self.facts_every_s)
        ):  # settings changed, or time to see whether the preferred protocol is back
            await self._drop(target.device_id)
            conn = None
        for attempt in (0, 1):
            new = conn is None
            if conn is None:
                conn = await self._connect(target)
                self._pool[target.device_id] = conn
            facts_due = new or started - conn.memory.facts_at > self.facts_every_s
            try:
                if conn.protocol == "snmp":
                    sample, problems = await poll_snmp(conn.api, conn.memory, facts_due=facts_due)
                else:  # API, API-SSL, REST: the same print commands and replies
                    commands = commands_for(conn.memory, facts_due=facts_due)
                    replies = await conn.api.call_many(commands)
                    sample, problems = parse_replies(commands, replies, conn.memory)
            except (ConnectionClosed, FatalError, ConnectionError, OSError, ssl.SSLError, RuntimeError):
                await self._drop(target.device_id)
                conn = None
                if new or attempt:
                    raise
                continue  # a pooled connection went stale (device rebooted, idle timeout): reconnect once
            conn.last_used = finished = time.time()
            if facts_due:
                conn.memory.facts_at = started
            status = DEGRADED if problems else ONLINE
            return PollResult(
                target.device_id,
                target.tenant_id,
                target.due,
                started,
                finished,
                status,
                "; ".join([*problems, conn.note]) if conn.note else "; ".join(problems),
                sample,
                conn.protocol,
                new,
                conn.host_key if new else "",
            )
        raise ConnectionClosed("connection lost")  # pragma: no cover - the loop returns or raises

    async def _connect(self, target: PollTarget) -> _Connection:
        last_error: BaseException | None = None
        failed: list[str] = []
        for endpoint in target.endpoints:
            if endpoint.protocol in ("rest", "snmp", "ssh"):
                try:
                    session = await asyncio.wait_for(self._open_session(target, endpoint), self.connect_timeout)
                except LoginRejected as exc:  # one failed login: never the same credentials elsewhere
                    raise _AuthFailed(f"login rejected over {endpoint.protocol}: {exc}") from None
                except (TimeoutError, OSError, ssl.SSLError, GarbledReply, PeerIdentityChanged) as exc:
                    last_error = exc
                    failed.append(f"{endpoint.protocol} {_describe(exc)}")
                    continue
                return self._connection(target, session, endpoint, failed)
            try:
                api = await asyncio.wait_for(
                    open_api(
                        target.host,
                        endpoint.port,
                        target.username,
                        target.password.reveal(),
                        ssl_context=endpoint.ssl_context,
                        timeout=self.connect_timeout,
                    ),
                    self.connect_timeout,
                )
            except TrapError as exc:
                # The router answered and refused the login: never retry on another port (that
                # would be a second failed login for the same wrong credentials).
                raise _AuthFailed(f"login rejected: {exc.message}") from None
            except (TimeoutError, OSError, ConnectionClosed, FatalError, ssl.SSLError) as exc:
                last_error = exc
                failed.append(f"{endpoint.protocol} {_describe(exc)}")
                continue
            except RuntimeError:  # uvloop: writing to a transport the peer already reset
                last_error = ConnectionResetError("connection reset")
                failed.append(f"{endpoint.protocol} connection reset")
                continue
            if endpoint.tls_fingerprint and not _peer_matches(api, endpoint.tls_fingerprint):
                await api.close()
                raise ssl.SSLError(1, "certificate fingerprint mismatch")
            api.protocol.timeout = None  # the per-poll deadline in _poll_one bounds every read
            if failed:
                return self._connection(target, api, endpoint, failed)
            return _Connection(api, target.fingerprint, endpoint.protocol, last_used=time.time())
        assert last_error is not None
        raise last_error

    async def _open_session(self, target: PollTarget, endpoint: Endpoint):
        if endpoint.protocol == "ssh":
            from .collect_ssh import SshCli

            return await SshCli.open(
                target.host,
                endpoint.port,
                target.username,
                target.password,
                host_key=endpoint.host_key,
                connect_timeout=self.connect_timeout * 0.9,
                timeout=self.command_timeout,
            )
        if endpoint.protocol == "rest":
            from devices.protocols.rest import RestApi

            return await RestApi.open(
                target.host,
                endpoint.port,
                target.username,
                target.password.reveal(),
                ssl_context=endpoint.ssl_context,
                connect_timeout=self.connect_timeout,
                timeout=self.command_timeout,
            )
        from devices.protocols.snmp import SnmpSession

        return await SnmpSession.open(target.host, endpoint.port, endpoint.snmp, timeout=self.connect_timeout * 0.9)

    @staticmethod
    def _connection(target: PollTarget, api: Any, endpoint: Endpoint, failed: list[str]) -> _Connection:
        now = time.time()
        note = f"polled over {endpoint.protocol} (fallback; {', '.join(failed)})" if failed else ""
        return _Connection(
            api,
            target.fingerprint,
            endpoint.protocol,
            last_used=now,
            note=note,
            opened=now,
            host_key=getattr(api, "host_key", ""),
        )

    async def _drop(self, device_id: str) -> None:
        conn = self._pool.pop(device_id, None)
        if conn is not None:
            try:
                await conn.api.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone
                log.debug("closing connection of %s failed", device_id, exc_info=True)

    async def _forget(self, device_ids: list[str]) -> None:
        for device_id in device_ids:
            await self._drop(device_id)

    async def _close_all(self) -> None:
        await self._forget(list(self._pool))

    async def _reaper(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, min(30.0, self.idle_close_s / 4)))
            cutoff = time.time() - self.idle_close_s
            idle = [device_id for device_id, conn in self._pool.items() if conn.last_used < cutoff]
            for device_id in idle:
                try:
                    await self._drop(device_id)
                except Exception:  # noqa: BLE001
                    log.debug("closing idle connection failed", exc_info=True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, TimeoutError):
        return str(exc) or "no answer in time"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {_tls_reason(exc)}"
    text = str(exc) or type(exc).__name__
    return text[:200]


def _tls_reason(exc: ssl.SSLError) -> str:
    # OpenSSL's errors carry `reason`; ours (TLSCertificateChanged: a changed pinned certificate)
    # carry the explanation in their text and may have no `reason` attribute at all.
    return getattr(exc, "reason", None) or str(exc)[:300] or type(exc).__name__


def _peer_matches(api: RawApi, fingerprint: str) -> bool:
    import hashlib

    ssl_object = api.protocol.transport.writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return False
    der = ssl_object.getpeercert(binary_form=True) or b""
    return hashlib.sha256(der).hexdigest() == fingerprint.replace(":", "").lower()


_ENGINE: PollEngine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> PollEngine:
    """This process's engine, configured from settings (POLL_*), started on first use."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            from django.conf import settings

            _ENGINE = PollEngine(
                concurrency=settings.POLL_CONCURRENCY,
                connect_timeout=settings.POLL_CONNECT_TIMEOUT_S,
                command_timeout=settings.POLL_COMMAND_TIMEOUT_S,
                idle_close_s=settings.POLL_IDLE_CLOSE_S,
                facts_every_s=settings.POLL_FACTS_EVERY_S,
            )
        return _ENGINE


def reset_engine() -> None:
    """Stop and forget the process's engine (tests; after a fork)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is not None:
            _ENGINE.stop()
        _ENGINE = None
