"""A read-only SNMP client (v2c community or v3 USM user) on pysnmp's asyncio API.

One `SnmpEngine` per event loop (the poll engine's loop) carries every device's requests over
one UDP socket; a `SnmpSession` is just a device's target and credentials, so keeping it in the
poll engine's pool costs nothing and "connecting" is one GET that proves the device answers.

- `get(oids)`: one GET, {oid: value} (missing objects are left out);
- `walk_columns(columns)`: the columns of one table with GETBULK, all columns per request,
  until each column's subtree ends — the few round trips a table needs, not one per row.

Values come back as Python ints/strs/bytes. Faults use the same vocabulary as the other
clients: no answer → TimeoutError (SNMP has no refusal: a wrong v2c community, SNMP switched
off and a device that is down all look like silence), v3 wrong key/unknown user → LoginRejected,
an undecodable reply → GarbledReply.

Known limit: pysnmp keys v3 users by user name per engine (until the agent's engine id is
known), so devices that share a v3 user name should share its keys within one worker.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from .errors import GarbledReply, LoginRejected

__all__ = ["SnmpAuth", "SnmpSession", "Oid"]

Oid = tuple[int, ...]
log = logging.getLogger(__name__)
MAX_REPETITIONS = 25
MAX_WALK_REQUESTS = 200  # a table longer than 200 × 25 rows is not a router's

AUTH_PROTOCOLS = ("MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512")
PRIV_PROTOCOLS = ("DES", "AES", "AES192", "AES256")
_AUTH_FAILURES = (
    "WrongDigest",
    "UnknownUserName",
    "AuthenticationFailure",
    "AuthenticationError",
    "DecryptionError",
    "UnknownSecurityName",
    "UnsupportedSecurityLevel",
    "UnknownCommunityName",
)


@dataclass(frozen=True, slots=True)
class SnmpAuth:
    """A device's SNMP credentials. Secrets are `devices.keyring.Secret`s (revealed only when a
    request is built) or plain strings (tests)."""

    version: str  # "v2c" | "v3"
    community: Any = None
    user: str = ""
    auth_key: Any = None
    priv_key: Any = None
    auth_protocol: str = "SHA1"
    priv_protocol: str = "AES"


def _reveal(secret: Any) -> str:
    if secret is None:
        return ""
    return secret.reveal() if hasattr(secret, "reveal") else str(secret)


def _auth_data(auth: SnmpAuth):
    from pysnmp.hlapi.v3arch import asyncio as hlapi

    if auth.version != "v3":
        # v2c is what the device's owner configured; v3 with privacy is offered and documented.
        return hlapi.CommunityData(_reveal(auth.community), mpModel=1)  # noqa: S508
    auth_protocols = {
        "MD5": hlapi.usmHMACMD5AuthProtocol,
        "SHA1": hlapi.usmHMACSHAAuthProtocol,
        "SHA": hlapi.usmHMACSHAAuthProtocol,
        "SHA224": hlapi.usmHMAC128SHA224AuthProtocol,
        "SHA256": hlapi.usmHMAC192SHA256AuthProtocol,
        "SHA384": hlapi.usmHMAC256SHA384AuthProtocol,
        "SHA512": hlapi.usmHMAC384SHA512AuthProtocol,
    }
    priv_protocols = {
        "DES": hlapi.usmDESPrivProtocol,
        "AES": hlapi.usmAesCfb128Protocol,
        "AES128": hlapi.usmAesCfb128Protocol,
        "AES192": hlapi.usmAesCfb192Protocol,
        "AES256": hlapi.usmAesCfb256Protocol,
    }
    auth_key, priv_key = _reveal(auth.auth_key), _reveal(auth.priv_key)
    kwargs: dict[str, Any] = {}
    if auth_key:
        kwargs["authKey"] = auth_key
        kwargs["authProtocol"] = auth_protocols.get(auth.auth_protocol.upper(), hlapi.usmHMACSHAAuthProtocol)
        if priv_key:
            kwargs["privKey"] = priv_key
            kwargs["privProtocol"] = priv_protocols.get(auth.priv_protocol.upper(), hlapi.usmAesCfb128Protocol)
    return hlapi.UsmUserData(auth.user, **kwargs)  # noqa: S509 - the security level is the device's


_ENGINES: dict[int, tuple[asyncio.AbstractEventLoop, Any]] = {}


def _engine() -> Any:
    """The SnmpEngine of the running loop (created in it: its dispatcher binds to that loop).
    The poll engine's one long-lived loop keeps one; engines of closed loops (a connectivity
    check's `asyncio.run`) are dropped when the next one is made."""
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    loop = asyncio.get_running_loop()
    entry = _ENGINES.get(id(loop))
    if entry is not None and entry[0] is loop:
        return entry[1]
    for key, (other, old) in list(_ENGINES.items()):
        if other.is_closed():
            del _ENGINES[key]
            try:
                old.close_dispatcher()
            except Exception:  # noqa: BLE001 - its loop is gone already
                log.debug("closing an SNMP engine failed", exc_info=True)
    engine = SnmpEngine()
    _ENGINES[id(loop)] = (loop, engine)
    return engine


def _plain(value: Any) -> Any:
    """A pysnmp value as int / str / bytes; None for noSuchObject/noSuchInstance/endOfMibView."""
    from pyasn1.type import univ
    from pysnmp.proto import rfc1905

    if isinstance(value, (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)):
        return None
    if isinstance(value, univ.OctetString):
        raw = value.asOctets()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def _check(error_indication: Any, error_status: Any) -> None:
    if error_indication:
        name = type(error_indication).__name__
        if name == "RequestTimedOut":
            raise TimeoutError("no SNMP answer in time")
        if name in _AUTH_FAILURES:
            raise LoginRejected(f"SNMP credentials refused ({error_indication})")
        raise GarbledReply(f"SNMP: {error_indication}")
    if error_status and int(error_status) not in (2,):  # 2 = noSuchName (v1 end of MIB)
        raise GarbledReply(f"SNMP error status {error_status.prettyPrint()}")


class SnmpSession:
    """One device's SNMP target and credentials (no socket of its own)."""

    def __init__(self, target: Any, auth_data: Any):
        self.target, self.auth_data = target, auth_data

    @classmethod
    async def open(cls, host: str, port: int, auth: SnmpAuth, *, timeout: float = 5.0, retries: int = 1) -> SnmpSession:
        """A session whose device answered one GET of sysUpTime (the credentials work)."""
        from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget

        per_try = max(0.2, timeout / (retries + 1))
        target = await UdpTransportTarget.create((host, port), timeout=per_try, retries=retries)
        session = cls(target, _auth_data(auth))
        found = await session.get([(1, 3, 6, 1, 2, 1, 1, 3, 0)])
        if not found:
            raise GarbledReply("the device answered without sysUpTime")
        return session

    async def get(self, oids: list[Oid]) -> dict[Oid, Any]:
        from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, get_cmd

        error, status, _index, binds = await get_cmd(
            _engine(),
            self.auth_data,
            self.target,
            ContextData(),
            *(ObjectType(ObjectIdentity(oid)) for oid in oids),
            lookupMib=False,
        )
        _check(error, status)
        out: dict[Oid, Any] = {}
        for name, value in binds:
            plain = _plain(value)
            if plain is not None:
                out[tuple(name)] = plain
        return out

    async def walk_columns(self, columns: list[Oid]) -> dict[Oid, dict[Oid, Any]]:
        """{column: {row index: value}} for every column, walked together with GETBULK."""
        from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, bulk_cmd

        found: dict[Oid, dict[Oid, Any]] = {column: {} for column in columns}
        cursor = {column: column for column in columns}  # where each column's walk stands
        for _request in range(MAX_WALK_REQUESTS):
            active = list(cursor)
            if not active:
                break
            error, status, _index, binds = await bulk_cmd(
                _engine(),
                self.auth_data,
                self.target,
                ContextData(),
                0,
                MAX_REPETITIONS,
                *(ObjectType(ObjectIdentity(cursor[column])) for column in active),
                lookupMib=False,
            )
            _check(error, status)
            if not binds:
                break
            width = len(active)
            ended: set[Oid] = set()
            for position, (name, value) in enumerate(binds):
                column = active[position % width]
                if column in ended:
                    continue
                oid = tuple(name)
                plain = _plain(value)
                if plain is None or oid[: len(column)] != column or oid <= cursor[column]:
                    ended.add(column)
                    continue
                found[column][oid[len(column) :]] = plain
                cursor[column] = oid
            for column in ended:
                cursor.pop(column, None)
        return found

    async def close(self) -> None:
        """Nothing to close: the engine's socket is shared by every device."""
