"""A read client for the RouterOS REST API (RouterOS 7.1+, HTTPS, basic auth).

`RestApi.open` logs in (one GET of `/system/identity`) over one keep-alive HTTPS connection
that stays open between polls, like the API client's pooled connections. `call_many` takes the
same `print` command tuples as `routeros_api.RawApi.call_many` (`("/interface/print",
"=.proplist=name,type")`) and returns the same shape — a list of `{name: string}` rows per
command, or the `TrapError` that command got — because REST replies carry every value as the
string RouterOS would send over the API. So the poller parses REST and API replies with the
same code.

Faults are raised as the builtin exceptions a socket gives (refused/reset → ConnectionError,
no answer → TimeoutError, TLS → ssl.SSLError), `LoginRejected` for HTTP 401 and `GarbledReply`
for a reply that is not HTTP/JSON: httpx's own exception types never leave this module.
"""

from __future__ import annotations

import json
import logging
import ssl

import httpx

from .errors import GarbledReply, LoginRejected
from .routeros_api import TrapError

__all__ = ["RestApi", "rest_path"]

log = logging.getLogger(__name__)
# httpx logs every request at INFO: seven lines per REST poll, thousands a minute for a fleet.
logging.getLogger("httpx").setLevel(logging.WARNING)


def rest_path(command: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """An API `print` command tuple → (REST path, query parameters).

    ("/system/resource/print", "=.proplist=uptime,version") → ("/system/resource",
    {".proplist": "uptime,version"}); `?name=value` query words become `name=value` filters."""
    path = command[0]
    if path.endswith("/print"):
        path = path[: -len("/print")]
    params: dict[str, str] = {}
    for word in command[1:]:
        if word.startswith("="):
            name, _, value = word[1:].partition("=")
            params[name] = value
        elif word.startswith("?"):
            name, _, value = word[1:].partition("=")
            params[name] = value
    return path, params


def _os_cause(exc: BaseException) -> BaseException | None:
    """The socket/TLS error under an httpx exception: the most specific one in the chain
    (httpcore and anyio wrap it: "All connection attempts failed" ← ConnectionRefusedError)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        if isinstance(current, BaseExceptionGroup) and current.exceptions:
            current = current.exceptions[0]
            continue
        chain.append(current)
        current = current.__cause__ or current.__context__
    found = [e for e in chain if isinstance(e, OSError) and not isinstance(e, httpx.HTTPError)]
    for error in found:
        if isinstance(error, (ssl.SSLError, ConnectionError, TimeoutError)) or error.errno:
            return error
    return found[0] if found else None


def _translate(exc: httpx.HTTPError) -> BaseException:
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError("no answer in time")
    cause = _os_cause(exc)
    if isinstance(cause, ssl.SSLError):
        return cause
    if isinstance(cause, TimeoutError):
        return TimeoutError("no answer in time")
    if isinstance(cause, OSError):
        return cause
    if isinstance(exc, httpx.RemoteProtocolError):
        if "disconnected" in str(exc).lower():
            return ConnectionResetError("connection reset")
        return GarbledReply(f"not an HTTP reply: {str(exc)[:120]}")
    if isinstance(exc, httpx.TransportError):
        return ConnectionResetError("connection reset")
    return GarbledReply(f"HTTP error: {type(exc).__name__}")


class RestApi:
    """One device's REST session: a keep-alive httpx client limited to one connection."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        ssl_context: ssl.SSLContext,
        connect_timeout: float = 10.0,
        timeout: float = 30.0,
    ) -> RestApi:
        """Connect and prove the login with one request. Raises LoginRejected on HTTP 401."""
        netloc = f"[{host}]" if ":" in host else host
        client = httpx.AsyncClient(
            base_url=f"https://{netloc}:{port}/rest",
            auth=httpx.BasicAuth(username, password),
            verify=ssl_context,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=None),
            trust_env=False,  # no proxy from the environment between us and a router
            follow_redirects=False,
        )
        api = cls(client)
        try:
            result = await api.get("/system/identity")
            if isinstance(result, TrapError):
                raise GarbledReply(f"/system/identity: {result.message}")
        except BaseException:
            await api.close()
            raise
        return api

    async def get(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, str]] | TrapError:
        """GET one menu: its rows (a single-item menu's object becomes one row) or a TrapError
        for a 4xx/5xx answer (RouterOS puts the trap's text in `detail`)."""
        try:
            response = await self.client.get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise _translate(exc) from None
        if response.status_code == 401:
            raise LoginRejected("RouterOS refused the login (HTTP 401)")
        try:
            body = response.json() if response.content else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise GarbledReply(f"{path}: the reply is not JSON (HTTP {response.status_code})") from None
        if response.status_code >= 400:
            detail = body.get("detail") or body.get("message") if isinstance(body, dict) else None
            return TrapError(message=str(detail or f"HTTP {response.status_code}"), category=None)
        if isinstance(body, dict):
            return [_strings(body)]
        if isinstance(body, list):
            return [_strings(row) for row in body if isinstance(row, dict)]
        return []

    async def call_many(self, commands: list[tuple[str, ...]]) -> list[list[dict[str, str]] | TrapError]:
        """Each `print` command as one GET, in order, on the one keep-alive connection."""
        results: list[list[dict[str, str]] | TrapError] = []
        for command in commands:
            path, params = rest_path(command)
            results.append(await self.get(path, params))
        return results

    async def close(self) -> None:
        try:
            await self.client.aclose()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone
            log.debug("closing a REST session failed", exc_info=True)


def _strings(row: dict) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else ("" if v is None else str(v)) for k, v in row.items()}
