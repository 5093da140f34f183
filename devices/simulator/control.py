"""Tiny HTTP/JSON control endpoint on 127.0.0.1 for out-of-process tests and benchmarks.

GET  /devices[?limit=N]            -> fleet.describe()
GET  /devices/<i>                  -> one device
POST /faults  {"devices": [..] | "index": i, "fault": "slow:200ms" | null}
POST /devices/<i>/reboot
POST /latest  {"version": "7.20.1", "channel": "stable"}
POST /devices/<i>/cli     {"text": "/ip address print"}  -> {"output": ..., "error": null | message}
GET  /devices/<i>/export[?show-sensitive=1]              -> {"export": ...}
POST /subscribers {"index": i, "user": .., "password": .., "service": "hotspot"|"ppp",
                   "method": "pap"|"chap"|"mschap2", "rate_bps": 8000000, "interim_interval": s,
                   "mac": .., "address": ..}   -> {"result": "accept"|"reject"|"timeout"|"no-radius"|"not-sent", ...}
GET  /subscribers?index=i          -> {"sessions": [...], "ended": [...]}   (the device as RADIUS NAS)
POST /subscribers/logout {"index": i, "user": .. | "session_id": ..}  -> {"ended": n}
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from .fleet import Fleet


def _route(fleet: Fleet, method: str, target: str, body: bytes) -> tuple[int, Any]:
    url = urlsplit(target)
    parts = [p for p in url.path.split("/") if p]
    data = json.loads(body or b"{}") if method == "POST" else {}
    if method == "GET" and parts == ["devices"]:
        limit = int(parse_qs(url.query).get("limit", [fleet.count])[0])
        return 200, fleet.describe(range(min(limit, fleet.count)))
    if method == "GET" and len(parts) == 2 and parts[0] == "devices":
        return 200, fleet.describe([int(parts[1])])[0]
    if method == "POST" and parts == ["faults"]:
        indices = data.get("devices")
        if indices is None:
            indices = [int(data["index"])]
        fleet.set_fault([int(i) for i in indices], data.get("fault"))
        return 200, {"ok": True, "devices": len(indices)}
    if method == "POST" and len(parts) == 3 and parts[0] == "devices" and parts[2] == "reboot":
        fleet.device(int(parts[1])).reboot()
        return 200, {"ok": True}
    if method == "POST" and len(parts) == 3 and parts[0] == "devices" and parts[2] == "cli":
        result = fleet.device(int(parts[1])).cli_result(str(data.get("text", "")))
        return 200, {"output": result.output, "error": result.error.message if result.error else None}
    if method == "GET" and len(parts) == 3 and parts[0] == "devices" and parts[2] == "export":
        show = parse_qs(url.query).get("show-sensitive", ["0"])[0] in ("1", "yes", "true")
        return 200, {"export": fleet.device(int(parts[1])).export(show_sensitive=show or None)}
    if method == "POST" and parts == ["latest"]:
        fleet.set_latest_version(data["version"], data.get("channel", "stable"))
        return 200, {"ok": True}
    return 404, {"error": "not found"}


_LOGIN_OPTIONS = {"service": str, "method": str, "mac": str, "address": str, "rate_bps": int, "interim_interval": float}


async def _route_subscribers(fleet: Fleet, method: str, target: str, body: bytes) -> tuple[int, Any] | None:
    """The NAS routes: on the fleet's loop itself (logins are asyncio RADIUS exchanges)."""
    url = urlsplit(target)
    parts = [p for p in url.path.split("/") if p]
    if not parts or parts[0] != "subscribers":
        return None
    if method == "GET" and parts == ["subscribers"]:
        index = int(parse_qs(url.query).get("index", ["0"])[0])
        nas = fleet.nas(index)
        return 200, {"sessions": nas.describe(), "ended": list(nas.ended)}
    data = json.loads(body or b"{}")
    if not isinstance(data, dict):
        raise ValueError("a JSON object is expected")
    nas = fleet.nas(int(data.get("index", 0)))
    if method == "POST" and parts == ["subscribers"]:
        options = {k: cast(data[k]) for k, cast in _LOGIN_OPTIONS.items() if data.get(k) is not None}
        result = await nas.login(str(data.get("user") or ""), str(data.get("password") or ""), **options)
        return 200, result
    if method == "POST" and parts == ["subscribers", "logout"]:
        return 200, {"ended": await nas.logout(data.get("user"), data.get("session_id"))}
    return 404, {"error": "not found"}


async def _handle(fleet: Fleet, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        length = 0
        for line in lines[1:]:
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        body = await reader.readexactly(length) if length else b""
        try:
            # in a thread: CLI scripts may `:delay`, and the loop must keep serving devices
            routed = await _route_subscribers(fleet, method, target, body)
            if routed is None:
                loop = asyncio.get_running_loop()
                routed = await loop.run_in_executor(None, _route, fleet, method, target, body)
            status, payload = routed
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            status, payload = 400, {"error": str(exc)}
        out = json.dumps(payload).encode()
        writer.write(
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(out)}\r\nConnection: close\r\n\r\n".encode()
            + out
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def serve_control(fleet: Fleet, port: int = 0) -> Any:
    server = await asyncio.start_server(lambda r, w: _handle(fleet, r, w), "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    fleet.control_url = f"http://127.0.0.1:{bound}"

    async def close() -> None:
        server.close()
        await server.wait_closed()

    return close
