"""RouterOS REST semantics (v7.1+): `/rest/<menu>` requests mapped onto device verbs.

Kept apart from the HTTP/TLS transport (`rest_server`) so the mapping reads on its own:
GET = print, PUT = add, PATCH = set, DELETE = remove, POST = a command (or `print` with a
JSON body). Replies carry every value as a string, and errors are RouterOS-shaped JSON
(`{"error": 400, "message": "Bad Request", "detail": "..."}`).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from devices.simulator import menus
from devices.simulator.errors import RouterOSError

REST_PREFIX = "/rest"
HTTP_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}
# A trap becomes 400 with the trap's text as detail; missing things are 404.
CATEGORY_STATUS = {
    "bad-path": 404,
    "not-found": 404,
    "bad-arg": 400,
    "no-perm": 400,
    "failure": 400,
}


@dataclass
class RestRequest:
    method: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class RestReply:
    status: int
    body: Any = None  # JSON-able; None sends no body (204)

    @property
    def reason(self) -> str:
        return HTTP_REASONS.get(self.status, "Error")

    def payload(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()


class RestFailure(Exception):
    """Ends a request with a RouterOS-style JSON error."""

    def __init__(self, status: int, detail: str | None = None) -> None:
        super().__init__(detail or HTTP_REASONS.get(status, "Error"))
        self.status = status
        self.detail = detail

    def reply(self) -> RestReply:
        body: dict[str, Any] = {"error": self.status, "message": HTTP_REASONS.get(self.status, "Error")}
        if self.detail:
            body["detail"] = self.detail
        return RestReply(self.status, body)


def basic_credentials(headers: dict[str, str]) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic` header, or None."""
    value = headers.get("authorization", "")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def handle_rest(device: Any, request: RestRequest) -> RestReply:
    """Answer one REST request for `device` (blocking; run it off the event loop)."""
    try:
        credentials = basic_credentials(request.headers)
        user = device.authenticate(*credentials, "rest") if credentials else None
        if user is None:
            raise RestFailure(401)
        return RestResource(device, user, request).dispatch()
    except RestFailure as failure:
        return failure.reply()
    except RouterOSError as error:
        return trap_reply(error)


def trap_reply(error: RouterOSError) -> RestReply:
    status = CATEGORY_STATUS.get(error.category, 400)
    return RestFailure(status, error.message).reply()


def _string_values(row: dict[str, Any]) -> dict[str, str]:
    return {str(key): "" if value is None else str(value) for key, value in row.items()}


def _attributes(body: Any) -> dict[str, str]:
    if not isinstance(body, dict):
        raise RestFailure(400, "JSON object expected")
    return {str(key): _scalar_text(value) for key, value in body.items()}


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(_scalar_text(item) for item in value)
    return "" if value is None else str(value)


class RestResource:
    """One authenticated request against one device."""

    def __init__(self, device: Any, user: Any, request: RestRequest) -> None:
        self.device = device
        self.user = user
        self.method = request.method.upper()
        url = urlsplit(request.target)
        self.url_path = unquote(url.path)
        self.params = parse_qsl(url.query, keep_blank_values=True)
        self.raw_body = request.body

    # --- routing -----------------------------------------------------------------------

    def dispatch(self) -> RestReply:
        if not (self.url_path == REST_PREFIX or self.url_path.startswith(REST_PREFIX + "/")):
            raise RestFailure(404)
        segments = [s for s in self.url_path[len(REST_PREFIX) :].split("/") if s]
        if not segments:
            raise RestFailure(404, "no such command or directory ()")
        if self.method == "GET":
            return self._get(segments)
        if self.method == "PUT":
            return self._put(segments)
        if self.method == "PATCH":
            return self._patch(segments)
        if self.method == "DELETE":
            return self._delete(segments)
        if self.method == "POST":
            return self._post(segments)
        raise RestFailure(405)

    def _menu(self, path: str) -> menus.Menu | None:
        return menus.menu_for(path, self.device.major)

    def _menu_and_item(self, segments: list[str]) -> tuple[str, str]:
        """(menu path, item id or name) for `/rest/<menu>/<item>`."""
        if len(segments) >= 2:
            path = "/" + "/".join(segments[:-1])
            if self._menu(path) is not None:
                return path, segments[-1]
        raise RestFailure(404, f"no such command or directory ({segments[-1]})")

    # --- verbs -------------------------------------------------------------------------

    def _get(self, segments: list[str]) -> RestReply:
        path = "/" + "/".join(segments)
        menu = self._menu(path)
        proplist = None
        queries = []
        for name, value in self.params:
            if name == ".proplist":
                proplist = [p for p in value.split(",") if p]
            else:
                queries.append(f"?{name}={value}")
        if menu is not None:
            rows = self._print(path, proplist, queries)
            if self._is_single(menu, rows):
                return RestReply(200, rows[0] if rows else {})
            return RestReply(200, rows)
        path, item = self._menu_and_item(segments)
        return RestReply(200, self._item(path, item, proplist))

    def _put(self, segments: list[str]) -> RestReply:
        path = "/" + "/".join(segments)
        if self._menu(path) is None:
            raise RestFailure(404, f"no such command or directory ({segments[-1]})")
        new_id = self.device.add(path, _attributes(self._json()), user=self.user)
        return RestReply(201, self._item(path, str(new_id), None))

    def _patch(self, segments: list[str]) -> RestReply:
        path = "/" + "/".join(segments)
        menu = self._menu(path)
        attributes = _attributes(self._json())
        if menu is not None and menu.kind in ("single", "view"):
            self.device.set(path, None, attributes, user=self.user)
            rows = self._print(path, None, [])
            return RestReply(200, rows[0] if rows else {})
        path, item = self._menu_and_item(segments)
        row_id = self._resolve_id(path, item)
        self.device.set(path, row_id, attributes, user=self.user)
        return RestReply(200, self._item(path, row_id, None))

    def _delete(self, segments: list[str]) -> RestReply:
        path, item = self._menu_and_item(segments)
        self.device.remove(path, self._resolve_id(path, item), user=self.user)
        return RestReply(204)

    def _post(self, segments: list[str]) -> RestReply:
        if segments == ["execute"]:
            return self._execute_script()
        try:
            path, command = self.device.resolve_command("/" + "/".join(segments))
        except RouterOSError as error:
            if error.category != "bad-path":
                raise
            raise RestFailure(404, f"no such command or directory ({segments[-1]})") from None
        body = self._json() if self.raw_body.strip() else {}
        if not isinstance(body, dict):
            raise RestFailure(400, "JSON object expected")
        if command == "print":
            return RestReply(200, self._print_command(path, body))
        attributes = {key: value for key, value in body.items() if not key.startswith(".") or key == ".id"}
        rows = self.device.execute(path, command, _attributes(attributes), user=self.user)
        return RestReply(200, self._command_result(rows))

    # --- helpers -----------------------------------------------------------------------

    def _json(self) -> Any:
        try:
            return json.loads(self.raw_body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RestFailure(400, f"JSON parse error: {error}") from None

    def _print(self, path: str, proplist: list[str] | None, queries: list[str]) -> list[dict[str, str]]:
        rows = self.device.print(path, user=self.user, proplist=proplist, queries=queries or None)
        return [_string_values(row) for row in rows]

    def _print_command(self, path: str, body: dict[str, Any]) -> list[dict[str, str]]:
        proplist = body.get(".proplist")
        if isinstance(proplist, str):
            proplist = [p for p in proplist.split(",") if p]
        queries = body.get(".query") or []
        if not isinstance(queries, list):
            raise RestFailure(400, ".query must be a list")
        words = [q if q.startswith("?") else f"?{q}" for q in map(str, queries)]
        return self._print(path, proplist, words)

    @staticmethod
    def _is_single(menu: menus.Menu, rows: list[dict[str, str]]) -> bool:
        if menu.kind == "single":
            return True
        return menu.kind == "view" and len(rows) == 1 and ".id" not in rows[0]

    def _resolve_id(self, path: str, item: str) -> str:
        return self._item(path, item, [".id"])[".id"]

    def _item(self, path: str, item: str, proplist: list[str] | None) -> dict[str, str]:
        """One row by `.id` (`*1`) or, as RouterOS allows, by name."""
        menu = self._menu(path)
        key = ".id" if item.startswith("*") else (menu.key if menu and menu.key else "name")
        wanted = None if proplist is None else list(dict.fromkeys([*proplist, ".id"]))
        rows = self._print(path, wanted, [f"?{key}={item}"])
        if not rows:
            raise RestFailure(404)
        row = rows[0]
        if proplist is not None:
            row = {name: value for name, value in row.items() if name in proplist}
        return row

    @staticmethod
    def _command_result(rows: Any) -> Any:
        if isinstance(rows, dict):
            return _string_values(rows)
        rows = [_string_values(row) for row in rows or []]
        if len(rows) == 1 and set(rows[0]) == {"ret"}:
            return rows[0]
        return rows

    def _execute_script(self) -> RestReply:
        body = self._json()
        script = body.get("script") if isinstance(body, dict) else None
        if not isinstance(script, str):
            raise RestFailure(400, "missing script")
        return RestReply(200, {"ret": self.device.cli(script, self.user)})
