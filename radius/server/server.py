"""The RADIUS server process: asyncio UDP on the auth and accounting ports, and optionally RadSec
(RADIUS over TLS, radius.server.radsec) feeding the same packet handling.

One event loop decides every packet from the in-memory directory (radius.server.directory); one
database thread does everything that touches PostgreSQL — the initial load, reloads after a
committed change (radius.server.invalidation), and the batched writes (radius.server.store).
Several worker processes can share the ports with SO_REUSEPORT (the kernel spreads NAS by source
address and port); each keeps its own cache and its own LISTEN connection.

Packet handling, in order: the source address must be a known, enabled NAS (otherwise the packet
is dropped and counted, without a reply); a retransmission is answered from the RFC 5080 cache;
the request is verified with that NAS's secret (Request Authenticator for accounting,
Message-Authenticator when present, and required for Access-Requests when the NAS says so) and
dropped when it fails (as is UDP from a NAS set to "RadSec only"); only then is it decided.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
import socket
import time
from dataclasses import dataclass, fields

from radius.protocol.dedup import IN_PROGRESS, DuplicateCache, request_key
from radius.protocol.errors import PacketError
from radius.protocol.packet import Code, decode_packet
from radius.server import accounting, enforcement, invalidation, metrics, radsec, store
from radius.server.authorize import apply_to_cache, authorize, entitlement, throttle_rate
from radius.server.directory import TenantDirectory

log = logging.getLogger("radius.server")
RECEIVE_BUFFER = 4 * 1024 * 1024


@dataclass
class ServerStats:
    access_requests: int = 0
    accepts: int = 0
    rejects: int = 0
    accounting_requests: int = 0
    status_server: int = 0
    unknown_nas: int = 0  # dropped: source address is no (enabled) NAS
    invalid: int = 0  # dropped: malformed, bad authenticator, missing Message-Authenticator, UDP from a RadSec-only NAS
    duplicates: int = 0  # answered from the duplicate cache (or dropped while in progress)
    errors: int = 0  # our bugs: logged, no reply
    disconnect_ack: int = 0
    disconnect_nak: int = 0
    disconnect_timeout: int = 0
    coa_ack: int = 0
    coa_nak: int = 0
    coa_timeout: int = 0
    flush_failures: int = 0

    def line(self) -> str:
        return " ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


class _Endpoint(asyncio.DatagramProtocol):
    secret: bytes | None = None  # None: the NAS's own secret (RadSec uses a fixed one)
    transport_name = "udp"

    def __init__(self, server: RadiusServer, kind: str) -> None:
        self.server = server
        self.kind = kind  # "auth" or "acct"
        self.dedup = DuplicateCache()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.server.received(self, data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP unreachable from a NAS: nothing to do
        pass


class RadiusServer:
    def __init__(
        self,
        *,
        bind: str = "0.0.0.0",
        auth_port: int = 1812,
        acct_port: int = 1813,
        reuse_port: bool = False,
        interim_interval: int = 0,
        flush_interval: float = 0.5,
        flush_max: int = 128,
        radsec_port: int | None = None,
        radsec_cert: str = "",
        radsec_key: str = "",
        radsec_ca: str = "",
    ) -> None:
        self.bind = bind
        self.auth_port = auth_port
        self.acct_port = acct_port
        self.reuse_port = reuse_port
        self.interim_interval = interim_interval
        self.flush_interval = flush_interval
        self.flush_max = flush_max
        self.radsec_port = radsec_port
        self._radsec_files = (radsec_cert, radsec_key, radsec_ca)
        self._radsec_server: asyncio.Server | None = None
        self.radsec_frame_timeout = radsec.FRAME_TIMEOUT
        self.radsec_connections: set = set()
        self.stats = ServerStats()
        self.packets = metrics.PacketCounters()  # flushed to Redis for /metrics
        self.tenants: dict = {}
        self.by_address: dict = {}
        self.endpoints: list[_Endpoint] = []
        self._changes: dict = {}
        self._reloading: set = set()
        self._tenant_ready: dict = {}
        self._router_reloads: set = set()
        self._batches: dict = {}
        self._acks: list = []
        self._tasks: set = set()
        self.notifications = 0  # change notifications received (tests wait on it)

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Load every tenant, then open the ports (nothing is answered from an empty cache)."""
        loop = asyncio.get_running_loop()
        self._db_thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="radius-db")
        self._stop = asyncio.Event()
        self._all_ready = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._loaded = loop.create_future()
        params = await self._db(invalidation.listen_params)
        self._listener = invalidation.Listener(params, self._on_change, self._on_connected)
        await self._listener.connect()
        await self._loaded
        for kind, port in (("auth", self.auth_port), ("acct", self.acct_port)):
            sock = socket.socket(socket.AF_INET6 if ":" in self.bind else socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.bind((self.bind, port))
            _, endpoint = await loop.create_datagram_endpoint(lambda k=kind: _Endpoint(self, k), sock=sock)
            self.endpoints.append(endpoint)
        self.auth_port = self.endpoints[0].transport.get_extra_info("sockname")[1]
        self.acct_port = self.endpoints[1].transport.get_extra_info("sockname")[1]
        if self.radsec_port is not None:
            self._radsec_server = await loop.create_server(
                lambda: radsec.RadSecConnection(self),
                self.bind,
                self.radsec_port,
                ssl=radsec.server_context(*self._radsec_files),
                ssl_handshake_timeout=radsec.HANDSHAKE_TIMEOUT,
                reuse_address=True,
                reuse_port=self.reuse_port or None,
            )
            self.radsec_port = self._radsec_server.sockets[0].getsockname()[1]
            log.info("radius: RadSec (TLS) on %s tcp %d", self.bind, self.radsec_port)
        self._flusher = asyncio.create_task(self._flush_loop())
        self._metrics_task = asyncio.create_task(self._metrics_loop())
        log.info(
            "radius: serving %d tenants, %d NAS on %s auth %d acct %d",
            len(self.tenants),
            len(self.by_address),
            self.bind,
            self.auth_port,
            self.acct_port,
        )

    async def stop(self) -> None:
        """Stop receiving, write what is pending, close the database connection."""
        for endpoint in self.endpoints:
            if endpoint.transport is not None:
                endpoint.transport.close()
        if self._radsec_server is not None:
            self._radsec_server.close()
            for connection in list(self.radsec_connections):
                connection.transport.abort()
        self._stop.set()
        self._flush_now.set()
        self._listener.close()
        try:
            await asyncio.wait_for(self._flusher, 5)
        except (TimeoutError, asyncio.CancelledError):
            self._flusher.cancel()
        await self.flush()
        for task in list(self._tasks):
            task.cancel()
        self._metrics_task.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self.packets.flush)
        await self._db(store.close)
        self._db_thread.shutdown(wait=True)
        log.info("radius: stopped; %s", self.stats.line())

    def settled(self) -> bool:
        """No reload pending: every notification received so far is in the cache."""
        return self._all_ready.is_set() and not self._reloading

    def _db(self, fn, *args):
        return asyncio.get_running_loop().run_in_executor(self._db_thread, fn, *args)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the directory: loading and invalidation ------------------------------------------------
    def _on_connected(self) -> None:
        self._all_ready.clear()
        self._spawn(self._load_all())

    async def _load_all(self) -> None:
        while True:
            try:
                ids = await self._db(invalidation.tenant_ids)
                loaded = {}
                for tid in ids:
                    result = await self._db(
                        invalidation.reload, tid, invalidation.Changes(everything=True), self.tenants.get(tid)
                    )
                    loaded[tid] = result.whole
                break
            except Exception as exc:
                if not self._loaded.done():
                    self._loaded.set_exception(exc)
                    return
                log.exception("radius: reloading everything failed; retrying")
                await asyncio.sleep(2)
        for tid, fresh in loaded.items():
            self._merge_sessions(self.tenants.get(tid), fresh)
        self.tenants = loaded
        self._rebuild_addresses()
        self._all_ready.set()
        if not self._loaded.done():
            self._loaded.set_result(None)

    def _on_change(self, tenant_id, table: str, row_id: str, owner: str) -> None:
        self.notifications += 1
        changes = self._changes.setdefault(tenant_id, invalidation.Changes())
        changes.add(table, row_id, owner)
        if changes.routers:
            self._router_reloads.add(tenant_id)
        if tenant_id not in self._reloading:
            self._reloading.add(tenant_id)
            self._tenant_ready.setdefault(tenant_id, asyncio.Event()).clear()
            self._spawn(self._reload_tenant(tenant_id))

    async def _reload_tenant(self, tenant_id) -> None:
        try:
            await self._all_ready.wait()
            while tenant_id in self._changes:
                changes = self._changes.pop(tenant_id)
                try:
                    result = await self._db(invalidation.reload, tenant_id, changes, self.tenants.get(tenant_id))
                except Exception:
                    log.exception("radius: reloading tenant %s failed; retrying", tenant_id)
                    self._changes.setdefault(tenant_id, invalidation.Changes()).merge(changes)
                    await asyncio.sleep(1)
                    continue
                self._apply(result)
        finally:
            self._reloading.discard(tenant_id)
            self._router_reloads.discard(tenant_id)
            self._tenant_ready[tenant_id].set()

    @staticmethod
    def _merge_sessions(old: TenantDirectory | None, fresh: TenantDirectory) -> None:
        """Accounting not yet written is newer than the database: keep it across a reload."""
        if old is None:
            return
        for user_id, name in fresh.user_names.items():
            old_name = old.user_names.get(user_id)
            if old_name is None:
                continue
            sessions = fresh.users[name].sessions
            for key, state in old.users[old_name].sessions.items():
                current = sessions.get(key)
                if current is None or state.updated_at >= current.updated_at:
                    sessions[key] = state
        fresh.orphan_sessions.update(old.orphan_sessions)

    def _apply(self, result: invalidation.Reloaded) -> None:
        tid = result.tenant_id
        if result.whole is not None:
            self._merge_sessions(self.tenants.get(tid), result.whole)
            self.tenants[tid] = result.whole
            self._rebuild_addresses()
            return
        directory = self.tenants.setdefault(tid, TenantDirectory(tid))
        if result.catalog is not None:
            c = result.catalog
            directory.groups, directory.profiles, directory.limits = c.groups, c.profiles, c.limits
            directory.dictionary = c.dictionary
            directory.index()
        if result.routers is not None:
            directory.nas = result.routers
            self._rebuild_addresses()
        for user_id, entry in (result.users or {}).items():
            old_name = directory.user_names.get(user_id)
            old = directory.users.get(old_name) if old_name else None
            if old is not None and (entry is None or (entry.disabled and not old.disabled)):
                cause = enforcement.USER_DELETED if entry is None else enforcement.USER_DISABLED
                self._enforce(directory, list(old.sessions.values()), cause)
            directory.put_user(entry, user_id)

    def _rebuild_addresses(self) -> None:
        addresses = {}
        for directory in self.tenants.values():
            for nas in directory.nas.values():
                addresses[nas.address] = nas
        self.by_address = addresses

    # --- packets ----------------------------------------------------------------------------------
    def radsec_admits(self, address: str) -> bool:
        """A RadSec connection from `address` may stay open: a known NAS, or a NAS change still
        loading (its packets then wait in received() like UDP ones and are dropped if unknown)."""
        return address in self.by_address or bool(self._router_reloads) or not self._all_ready.is_set()

    def received(self, endpoint: _Endpoint, data: bytes, addr) -> None:
        self._listener.poll()  # changes already notified are applied before this packet is decided
        nas = self.by_address.get(addr[0])
        if nas is None:
            if self._router_reloads or not self._all_ready.is_set():
                self._spawn(self._after_reload(endpoint, data, addr, None))
            else:
                self.stats.unknown_nas += 1
                self.packets.count(endpoint.kind, "dropped_unknown_nas", endpoint.transport_name)
            return
        if len(data) < 20:
            self.stats.invalid += 1
            self.packets.count(endpoint.kind, "dropped_invalid", endpoint.transport_name)
            return
        key = request_key(addr, data)
        cached = endpoint.dedup.begin(key)
        if cached is not None:
            self.stats.duplicates += 1
            self.packets.count(endpoint.kind, "duplicate", endpoint.transport_name)
            if cached is not IN_PROGRESS:
                endpoint.transport.sendto(cached, addr)
            return
        if nas.tenant_id in self._reloading or not self._all_ready.is_set():
            self._spawn(self._after_reload(endpoint, data, addr, key))
            return
        self._handle(endpoint, nas, data, addr, key)

    async def _after_reload(self, endpoint: _Endpoint, data: bytes, addr, key) -> None:
        """Decide a packet only once its tenant's pending changes are loaded."""
        await self._all_ready.wait()
        nas = self.by_address.get(addr[0])
        while nas is None and self._router_reloads:
            await asyncio.gather(*(self._tenant_ready[t].wait() for t in list(self._router_reloads)))
            nas = self.by_address.get(addr[0])
        while nas is not None and nas.tenant_id in self._reloading:
            await self._tenant_ready[nas.tenant_id].wait()
            nas = self.by_address.get(addr[0])
        if nas is None:
            self.stats.unknown_nas += 1
            self.packets.count(endpoint.kind, "dropped_unknown_nas", endpoint.transport_name)
            if key is not None:
                endpoint.dedup.finish(key, None)
            return
        if key is None:
            if len(data) < 20:
                self.stats.invalid += 1
                self.packets.count(endpoint.kind, "dropped_invalid", endpoint.transport_name)
                return
            key = request_key(addr, data)
            cached = endpoint.dedup.begin(key)
            if cached is not None:
                self.stats.duplicates += 1
                self.packets.count(endpoint.kind, "duplicate", endpoint.transport_name)
                return
        self._handle(endpoint, nas, data, addr, key)

    def _handle(self, endpoint: _Endpoint, nas, data: bytes, addr, key) -> None:
        if nas.radsec_only and endpoint.transport_name == "udp":
            self.stats.invalid += 1
            self.packets.count(endpoint.kind, "dropped_radsec_only", endpoint.transport_name)
            endpoint.dedup.finish(key, None)
            return
        directory = self.tenants.get(nas.tenant_id)
        try:
            request = decode_packet(data, endpoint.secret or nas.secret, dictionary=directory.dictionary)
            require = nas.require_message_authenticator and request.code == Code.ACCESS_REQUEST
            request.verify_request(require_message_authenticator=require)
        except PacketError:
            self.stats.invalid += 1
            self.packets.count(endpoint.kind, "dropped_bad_authenticator", endpoint.transport_name)
            endpoint.dedup.finish(key, None)
            return
        try:
            if endpoint.kind == "auth":
                self._access(endpoint, directory, nas, request, addr, key)
            else:
                self._accounting(endpoint, directory, nas, request, addr, key)
        except Exception:
            # a bug must cost one packet, not the server; never log the packet (it holds secrets)
            self.stats.errors += 1
            self.packets.count(endpoint.kind, "error", endpoint.transport_name)
            log.exception("radius: error handling a %s from NAS %s", request.code.name, nas.name)
            endpoint.dedup.finish(key, None)

    def _send(self, endpoint: _Endpoint, reply, addr, key) -> None:
        out = reply.encode()
        endpoint.transport.sendto(out, addr)
        endpoint.dedup.finish(key, out)

    def _access(self, endpoint, directory, nas, request, addr, key) -> None:
        if request.code == Code.STATUS_SERVER:
            self.stats.status_server += 1
            self.packets.count("status_server", endpoint.kind, endpoint.transport_name)
            self._send(endpoint, request.reply(Code.ACCESS_ACCEPT), addr, key)
            return
        if request.code != Code.ACCESS_REQUEST:
            self.stats.invalid += 1
            self.packets.count(endpoint.kind, "dropped_unexpected_code", endpoint.transport_name)
            endpoint.dedup.finish(key, None)
            return
        self.stats.access_requests += 1
        started = time.perf_counter()
        now = dt.datetime.now(dt.UTC)
        decision = authorize(directory, nas, request, now, interim_interval=self.interim_interval)
        reply = request.reply(Code.ACCESS_ACCEPT if decision.accepted else Code.ACCESS_REJECT)
        for name, value in decision.reply:
            try:
                reply.add(name, value)
            except (KeyError, ValueError) as exc:
                log.warning("radius: reply attribute %s for user %s skipped: %s", name, decision.username, exc)
        self._send(endpoint, reply, addr, key)
        self.packets.auth_latency(time.perf_counter() - started)
        if decision.accepted:
            self.stats.accepts += 1
            self.packets.count("access", "accept", endpoint.transport_name)
        else:
            self.stats.rejects += 1
            self.packets.count("access", "reject", endpoint.transport_name)
        apply_to_cache(decision)
        if decision.evict:  # shared-users overflow: the new login stays, the oldest session goes
            self._enforce(directory, decision.evict, enforcement.SHARED_USERS)
        batch = self._batch(nas.tenant_id)
        batch.auth_logs.append(
            (
                now,
                decision.username,
                nas.id,
                decision.calling_station_id,
                decision.method,
                "accept" if decision.accepted else "reject",
                decision.reason,
            )
        )
        for entry in decision.queue_changes:
            batch.queue[entry.id] = (entry.state, entry.started_at, entry.ends_at)
        if decision.bind_caller_id and decision.user is not None:
            batch.bindings.append((decision.user.id, decision.user.name, decision.bind_caller_id))

    def _accounting(self, endpoint, directory, nas, request, addr, key) -> None:
        if request.code == Code.STATUS_SERVER:
            self.stats.status_server += 1
            self.packets.count("status_server", endpoint.kind, endpoint.transport_name)
            self._send(endpoint, request.reply(Code.ACCOUNTING_RESPONSE), addr, key)
            return
        if request.code != Code.ACCOUNTING_REQUEST:
            self.stats.invalid += 1
            self.packets.count(endpoint.kind, "dropped_unexpected_code", endpoint.transport_name)
            endpoint.dedup.finish(key, None)
            return
        self.stats.accounting_requests += 1
        now = dt.datetime.now(dt.UTC)
        try:
            result = accounting.account(directory, nas, request, now)
            self.packets.count("accounting", accounting.usage(request).status or "unknown", endpoint.transport_name)
        except PacketError:
            self.stats.invalid += 1
            self.packets.count("accounting", "malformed", endpoint.transport_name)
            endpoint.dedup.finish(key, None)
            return
        reply = request.reply(Code.ACCOUNTING_RESPONSE)
        if result is None:
            self._send(endpoint, reply, addr, key)
            return
        if result != accounting.NAS_REBOOT and result.active and result.user_id is not None:
            user = directory.users.get(result.username)
            if user is not None and user.disabled:
                self._enforce(directory, [result], enforcement.USER_DISABLED)
            elif user is not None:
                ent = entitlement(directory, user, now)
                if not ent.allowed:
                    rate = throttle_rate(directory, user, ent, now)
                    if rate:
                        self._throttle(directory, [result], rate)
                    else:
                        self._enforce(directory, [result], enforcement.LIMITS_REACHED)
        batch = self._batch(nas.tenant_id)
        if result == accounting.NAS_REBOOT:
            batch.nas_reboots.append((nas.id, now))
        else:
            batch.sessions[result.key] = store.session_row(nas.tenant_id, nas.id, result)
        # answered once written: a NAS that got no answer retransmits, so nothing is lost
        self._acks.append((endpoint, reply.encode(), addr, key, nas.tenant_id))
        if len(self._acks) >= self.flush_max:
            self._flush_now.set()

    # --- enforcement ------------------------------------------------------------------------------
    def _enforce(self, directory: TenantDirectory, sessions: list, cause: str) -> None:
        """Disconnect every open session in `sessions` (once each), recording `cause`."""
        for state in sessions:
            nas = directory.nas.get(state.key[0])
            if not state.active or state.disconnect_sent or nas is None:
                continue
            state.disconnect_sent = True
            state.terminate_cause = cause
            self._spawn(self._disconnect(directory.tenant_id, nas, state, cause))

    async def _disconnect(self, tenant_id, nas, state, cause: str) -> None:
        result = await enforcement.disconnect(nas, state)
        setattr(self.stats, f"disconnect_{result}", getattr(self.stats, f"disconnect_{result}") + 1)
        self.packets.count("disconnect", result)
        log.info("radius: disconnect %s of %s at %s (%s): %s", state.key[1], state.username, nas.name, cause, result)
        batch = self._batch(tenant_id)
        batch.sessions[state.key] = store.session_row(tenant_id, nas.id, state)
        batch.disconnects.append((state.username, state.key[1], nas.name, cause, result))
        if result != "ack":
            state.disconnect_sent = False  # the next accounting update (or change) tries again

    def _throttle(self, directory: TenantDirectory, sessions: list, rate: str) -> None:
        """CoA every open session in `sessions` down to `rate` (once per rate, retried after a NAK/timeout)."""
        for state in sessions:
            nas = directory.nas.get(state.key[0])
            if not state.active or state.disconnect_sent or nas is None or state.coa_sent == rate:
                continue
            state.coa_sent = rate
            self._spawn(self._change_rate(directory.tenant_id, nas, state, rate))

    async def _change_rate(self, tenant_id, nas, state, rate: str) -> None:
        result = await enforcement.change_rate(nas, state, rate)
        setattr(self.stats, f"coa_{result}", getattr(self.stats, f"coa_{result}") + 1)
        self.packets.count("coa", result)
        log.info("radius: CoA %s of %s at %s to rate %s: %s", state.key[1], state.username, nas.name, rate, result)
        state.throttled_rate_limit, state.coa_result = rate, result
        batch = self._batch(tenant_id)
        batch.sessions[state.key] = store.session_row(tenant_id, nas.id, state)
        batch.rate_changes.append((state.username, state.key[1], nas.name, rate, result))
        if result != "ack":
            state.coa_sent = ""  # the next accounting update tries again

    def _batch(self, tenant_id) -> store.TenantBatch:
        batch = self._batches.get(tenant_id)
        if batch is None:
            batch = self._batches[tenant_id] = store.TenantBatch()
        return batch

    # --- metrics ----------------------------------------------------------------------------------
    async def _metrics_loop(self) -> None:
        """Every second, hand the in-process packet counts to Redis on a worker thread."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(metrics.FLUSH_INTERVAL)
            await loop.run_in_executor(None, self.packets.flush)

    # --- batched writes -----------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._flush_now.wait(), self.flush_interval)
            except TimeoutError:
                pass
            self._flush_now.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write what is pending; answer the accounting packets whose writes committed."""
        async with self._flush_lock:
            batches, self._batches = self._batches, {}
            acks, self._acks = self._acks, []
            failed = {}
            if batches:
                try:
                    failed = await self._db(store.write, batches)
                except Exception as exc:  # noqa: BLE001 - the database thread itself failed: nothing was written
                    failed = dict.fromkeys(batches, exc)
            for tenant_id, exc in failed.items():
                self.stats.flush_failures += 1
                log.warning("radius: writing tenant %s failed (%s: %s); will retry", tenant_id, type(exc).__name__, exc)
                retry = self._batch(tenant_id)
                old = batches[tenant_id]
                for name in ("sessions", "queue"):
                    getattr(retry, name).update({**getattr(old, name), **getattr(retry, name)})
                retry.bindings[:0] = old.bindings
                retry.nas_reboots[:0] = old.nas_reboots
                retry.disconnects[:0] = old.disconnects
                retry.rate_changes[:0] = old.rate_changes
                retry.auth_logs[:0] = old.auth_logs[-10000:]
            for endpoint, out, addr, key, tenant_id in acks:
                if tenant_id in failed:
                    endpoint.dedup.finish(key, None)  # no answer: the NAS retransmits
                elif endpoint.transport is not None and not endpoint.transport.is_closing():
                    endpoint.transport.sendto(out, addr)
                    endpoint.dedup.finish(key, out)
