"""RouterOS API (8728) and API-SSL (8729) server for the whole fleet on one socket each.

Built on `asyncio.Protocol` and whole-read parsing so it is not the benchmark bottleneck.
Print replies are cached per (device generation, simulated second, command words).
Faults: refused connections are reset at accept, black holes never answer, slow devices delay
replies (ordering kept), truncate/garbage/reset mangle the reply bytes.
"""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import os
import socket
import ssl
import struct
from typing import TYPE_CHECKING, Any

from .api_protocol import ProtocolViolation, SentenceReader, encode_reply
from .catalog import version_tuple
from .device import SimDevice, SimUser
from .errors import RouterOSError, no_such_command_prefix

if TYPE_CHECKING:
    from .fleet import Fleet

LINGER_RST = struct.pack("ii", 1, 0)
DONE = b"\x05!done\x00"
CACHE_LIMIT = 4096
# Encoded print replies: (device, command words, user) -> ((generation, second), bytes).
_REPLY_CACHE: dict[tuple[Any, ...], tuple[tuple[int, int], bytes]] = {}
STREAM_INTERVAL = 1.0
SCRIPT_VERBS = frozenset({"run", "import", "reset-configuration", "load"})


def _rst(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
        except OSError:
            pass
    transport.abort()


class ApiConnection(asyncio.Protocol):
    """One client connection to one device."""

    def __init__(self, fleet: Fleet, proto: str) -> None:
        self.fleet = fleet
        self.proto = proto
        self.transport: Any = None
        self.device: SimDevice | None = None
        self.user: SimUser | None = None
        self.reader = SentenceReader()
        self.closed = False
        self.next_send_at = 0.0
        self.token: int | None = None
        self.streams: dict[str | None, asyncio.Task[None] | Any] = {}
        self.login_challenge: str | None = None
        self.peer = "127.0.0.1"
        self.loop = asyncio.get_running_loop()
        self.sends_empty = False
        self.tls: ssl.SSLObject | None = None
        self.tls_in = self.tls_out = ssl.MemoryBIO()
        self.tls_ready = False

    # ------------------------------------------------------------ connection lifecycle
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        sockname = transport.get_extra_info("sockname")
        peer = transport.get_extra_info("peername")
        if peer:
            self.peer = peer[0]
        device = self.fleet.device_for_sockname(sockname) if sockname else None
        if device is None or not device.is_reachable(self.proto):
            self.closed = True
            _rst(transport)
            return
        self.device = device
        self.sends_empty = device.major == 7 and version_tuple(device.version) >= (7, 18)
        self.token = device.attach(self._drop_threadsafe, self.proto)
        if self.proto == "api-ssl":
            # TLS over memory BIOs: the certificate (per /24 block) is chosen per connection,
            # and it works the same on asyncio and uvloop (whose start_tls races here).
            self.tls_in, self.tls_out = ssl.MemoryBIO(), ssl.MemoryBIO()
            self.tls = self.fleet.tls_context(device.address).wrap_bio(self.tls_in, self.tls_out, server_side=True)

    def _tls_receive(self, data: bytes) -> bytes | None:
        """Feed ciphertext; returns decrypted bytes (None if the connection is done for)."""
        tls = self.tls
        assert tls is not None
        self.tls_in.write(data)
        if not self.tls_ready:
            try:
                tls.do_handshake()
                self.tls_ready = True
            except ssl.SSLWantReadError:
                self._tls_flush()
                return b""
            except (ssl.SSLError, OSError):
                self._drop()
                return None
        chunks = []
        while True:
            try:
                chunk = tls.read(65536)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.closed = True
                self.transport.close()
                return None
            except (ssl.SSLError, OSError):
                self._drop()
                return None
            if not chunk:
                break
            chunks.append(chunk)
        self._tls_flush()
        return b"".join(chunks)

    def _tls_flush(self) -> None:
        out = self.tls_out.read()
        if out and not self.closed:
            self.transport.write(out)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for task in self.streams.values():
            task.cancel()
        self.streams.clear()
        if self.device is not None and self.token is not None:
            self.device.detach(self.token)

    def _drop_threadsafe(self) -> None:
        self.loop.call_soon_threadsafe(self._drop)

    def _drop(self) -> None:
        if not self.closed:
            self.closed = True
            _rst(self.transport)

    # ------------------------------------------------------------ input
    def data_received(self, data: bytes) -> None:
        if self.closed or self.device is None:
            return
        if self.device.fault is not None and self.device.is_blackholed():
            return
        if self.tls is not None:
            plain = self._tls_receive(data)
            if not plain:
                return
            data = plain
        try:
            sentences = self.reader.feed(data)
        except ProtocolViolation:
            self._fatal("protocol violation")
            return
        for words in sentences:
            if self.closed:
                return
            self.handle(words)

    # ------------------------------------------------------------ output
    def send(self, data: bytes, then_close: bool = False) -> None:
        if self.closed:
            return
        device = self.device
        action = "send"
        delay = 0.0
        if device is not None and (device.fault is not None or device.ctx.latency is not None):
            data, action = device.mangle_reply(data)
            delay = device.reply_delay_s()
        if then_close and action == "send":
            action = "close"
        if delay > 0:
            at = max(self.loop.time() + delay, self.next_send_at)
            self.next_send_at = at
            self.loop.call_at(at, self._write, data, action)
        else:
            self._write(data, action)

    def _write(self, data: bytes, action: str) -> None:
        if self.closed:
            return
        if data:
            if self.tls is not None:
                self.tls.write(data)
                data = self.tls_out.read()
            self.transport.write(data)
        if action == "close":
            self.closed = True
            self.transport.close()
        elif action == "reset":
            self.closed = True
            _rst(self.transport)

    def _fatal(self, message: str) -> None:
        self.send(encode_reply("!fatal", {}, None)[:-1] + _word(message) + b"\x00", then_close=True)

    # ------------------------------------------------------------ commands
    def handle(self, words: list[str]) -> None:
        command = words[0]
        attrs: dict[str, str] = {}
        queries: list[str] = []
        tag: str | None = None
        proplist: list[str] | None = None
        for word in words[1:]:
            first = word[:1]
            if first == "=":
                key, _, value = word[1:].partition("=")
                if key == ".proplist":
                    proplist = [p for p in value.split(",") if p]
                elif key == ".tag":
                    tag = value
                else:
                    attrs[key] = value
            elif first == "?":
                queries.append(word)
            elif word.startswith(".tag="):
                tag = word[5:]
            elif word.startswith(".proplist="):
                proplist = [p for p in word[10:].split(",") if p]
            elif word.startswith(".id="):
                attrs[".id"] = word[4:]
        if command == "/login":
            self.login(attrs, tag)
            return
        if self.user is None:
            self._fatal("not logged in")
            return
        if command == "/quit":
            self._fatal("session terminated on request")
            return
        if command == "/cancel":
            self.cancel(attrs.get("tag"), tag)
            return
        try:
            self.dispatch(command, attrs, queries, proplist, tag)
        except RouterOSError as exc:
            self.send(self._trap(exc, tag))

    def _trap(self, exc: RouterOSError, tag: str | None) -> bytes:
        attrs = {"message": exc.message}
        if exc.api_category is not None:
            attrs = {"category": exc.api_category, "message": exc.message}
        return encode_reply("!trap", attrs, tag) + encode_reply("!done", {}, tag)

    def login(self, attrs: dict[str, str], tag: str | None) -> None:
        device = self.device
        assert device is not None
        name = attrs.get("name")
        if name is None:  # pre-6.43 challenge login, step 1
            self.login_challenge = binascii.hexlify(os.urandom(16)).decode()
            self.send(encode_reply("!done", {"ret": self.login_challenge}, tag))
            return
        password = attrs.get("password")
        if password is None and "response" in attrs and self.login_challenge:
            row = device._user(name)
            real = row.get("password", "") if row else None
            expect = None
            if real is not None:
                digest = hashlib.md5(  # noqa: S324 - RouterOS pre-6.43 challenge login is MD5
                    b"\x00" + real.encode() + binascii.unhexlify(self.login_challenge)
                ).hexdigest()
                expect = "00" + digest
            password = real if attrs["response"] == expect else "\x00invalid"
        user = device.authenticate(name, password or "", self.proto, self.peer)
        if user is None:
            self.send(
                encode_reply("!trap", {"message": "invalid user name or password (6)"}, tag)
                + encode_reply("!done", {}, tag),
                then_close=True,
            )
            return
        self.user = user
        self.send(encode_reply("!done", {}, tag))

    def dispatch(
        self, command: str, attrs: dict[str, str], queries: list[str], proplist: list[str] | None, tag: str | None
    ) -> None:
        device = self.device
        user = self.user
        assert device is not None
        if not command.startswith("/"):
            raise no_such_command_prefix()
        path, verb = device.resolve_command(command)
        if verb in ("print", "getall"):
            if attrs.get("follow") is not None or attrs.get("follow-only") is not None:
                self.listen(path, tag, follow_only=attrs.get("follow-only") is not None)
                return
            self.print(path, attrs, queries, proplist, tag)
        elif verb == "listen":
            self.listen(path, tag)
        elif verb == "add":
            self.send(encode_reply("!done", {"ret": device.add(path, attrs, user)}, tag))
        elif verb in ("set", "remove", "enable", "disable"):
            target = attrs.pop(".id", None) or attrs.pop("numbers", None)
            if verb == "set":
                device.set(path, target, attrs, user)
            elif verb == "remove":
                device.remove(path, target or "", user)
            elif verb == "enable":
                device.enable(path, target or "", user)
            else:
                device.disable(path, target or "", user)
            self.send(encode_reply("!done", {}, tag))
        elif verb == "get":
            target = attrs.pop(".id", None) or attrs.pop("number", None) or attrs.pop("numbers", None)
            value = device.get(path, target, attrs.get("value-name", ""), user)
            self.send(encode_reply("!done", {"ret": value}, tag))
        elif verb == "monitor-traffic" and "once" not in attrs:
            self.stream_monitor(attrs, proplist, tag)
        else:
            attrs.pop("once", None)
            if verb in SCRIPT_VERBS:
                # scripts may `:delay`: run them in a thread so the loop keeps serving others
                self.loop.create_task(self._execute_in_thread(path, verb, attrs, proplist, tag))
                return
            self._reply_rows(device.execute(path, verb, attrs, user), proplist, tag)

    def _reply_rows(self, rows: list[dict[str, str]], proplist: list[str] | None, tag: str | None) -> None:
        if len(rows) == 1 and set(rows[0]) == {"ret"}:
            self.send(encode_reply("!done", rows[0], tag))
            return
        self.send(self._rows(rows, proplist, tag) + encode_reply("!done", {}, tag))

    async def _execute_in_thread(
        self, path: str, verb: str, attrs: dict[str, str], proplist: list[str] | None, tag: str | None
    ) -> None:
        device = self.device
        assert device is not None
        try:
            rows = await self.loop.run_in_executor(None, device.execute, path, verb, attrs, self.user)
        except RouterOSError as exc:
            self.send(self._trap(exc, tag))
            return
        self._reply_rows(rows, proplist, tag)

    def _rows(self, rows: list[dict[str, str]], proplist: list[str] | None, tag: str | None) -> bytes:
        if proplist:
            rows = [{k: r[k] for k in proplist if k in r} for r in rows]
        return b"".join([encode_reply("!re", r, tag) for r in rows])

    def print(
        self, path: str, attrs: dict[str, str], queries: list[str], proplist: list[str] | None, tag: str | None
    ) -> None:
        device = self.device
        assert device is not None
        key = None
        if tag is None:
            key = (device, path, tuple(attrs.items()), tuple(queries), tuple(proplist or ()), self.user)
            cache = _REPLY_CACHE
            stamp = (device.generation, int(device.now()))
            hit = cache.get(key)
            if hit is not None and hit[0] == stamp:
                self.send(hit[1])
                return
        rows = device.print(path, self.user, proplist, queries)
        if "count-only" in attrs:
            data = encode_reply("!done", {"ret": str(len(rows))}, tag)
        elif not rows and self.sends_empty:
            data = encode_reply("!empty", {}, tag) + encode_reply("!done", {}, tag)
        else:
            data = b"".join([encode_reply("!re", r, tag) for r in rows]) + encode_reply("!done", {}, tag)
        if key is not None:
            if len(cache) > CACHE_LIMIT:
                cache.clear()
            cache[key] = (stamp, data)
        self.send(data)

    # ------------------------------------------------------------ streaming
    def listen(self, path: str, tag: str | None, follow_only: bool = True) -> None:
        """`/log/listen` (and `print follow`): stream new log lines until `/cancel`."""
        device = self.device
        assert device is not None
        if path != "/log":
            # Other menus: accepted, no change notifications are generated by the simulator.
            self.streams[tag] = _Stream(lambda: None)
            return
        if not follow_only:
            self.send(b"".join(encode_reply("!re", r, tag) for r in device.print("/log", self.user)))

        def on_log(row: dict[str, str]) -> None:
            self.loop.call_soon_threadsafe(self.send, encode_reply("!re", row, tag))

        self.streams[tag] = _Stream(device.add_log_listener(on_log))

    def stream_monitor(self, attrs: dict[str, str], proplist: list[str] | None, tag: str | None) -> None:
        device = self.device
        assert device is not None

        async def run() -> None:
            while not self.closed:
                try:
                    rows = device.execute("/interface", "monitor-traffic", attrs, self.user)
                except RouterOSError as exc:
                    self.streams.pop(tag, None)
                    self.send(self._trap(exc, tag))
                    return
                self.send(self._rows(rows, proplist, tag))
                await asyncio.sleep(STREAM_INTERVAL)

        self.streams[tag] = self.loop.create_task(run())

    def cancel(self, target: str | None, tag: str | None) -> None:
        tags = [target] if target is not None else list(self.streams)
        out = b""
        for t in tags:
            stream = self.streams.pop(t, None)
            if stream is None:
                continue
            stream.cancel()
            out += encode_reply("!trap", {"category": "2", "message": "interrupted"}, t) + encode_reply("!done", {}, t)
        self.send(out + encode_reply("!done", {}, tag))


class _Stream:
    """A cancellable subscription that is not an asyncio task."""

    def __init__(self, unsubscribe: Any) -> None:
        self._unsubscribe = unsubscribe

    def cancel(self) -> None:
        self._unsubscribe()


def _word(text: str) -> bytes:
    from .api_protocol import encode_word

    return encode_word(text)


async def _serve(fleet: Fleet, sock: socket.socket, proto: str) -> Any:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: ApiConnection(fleet, proto), sock=sock, backlog=4096)

    async def close() -> None:
        server.close()
        for dev in list(fleet._devices.values()):
            dev.drop_connections()
        await server.wait_closed()

    return close


async def serve_plain(fleet: Fleet, sock: socket.socket) -> Any:
    """Frontend entry point for plain API (registered in fleet.PROTOCOL_SERVERS)."""
    return await _serve(fleet, sock, "api")


async def serve_tls(fleet: Fleet, sock: socket.socket) -> Any:
    """Frontend entry point for API-SSL: TLS with a per-block server cert from the fleet CA."""
    return await _serve(fleet, sock, "api-ssl")
