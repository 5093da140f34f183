"""RADIUS packets: decode, encode, authenticators and Message-Authenticator.

Attributes are kept as `(vendor, code, raw)` triples in wire order, so unknown attributes survive
a decode/encode round trip and the server's hot path can read a value without building objects
for the rest. Typed access (`get`, `add`) goes through the dictionary; hidden values (User-Password,
Tunnel-Password, MS-MPPE keys) are encrypted on `add` and decrypted on `get`, which is why a packet
carries its shared secret.

Authenticator rules (RFC 2865 3, RFC 2866 3, RFC 5176 2.3/3.5, RFC 3579 3.2, RFC 5997):

| packet | Authenticator field | Message-Authenticator computed over the packet with… |
|---|---|---|
| Access-Request, Status-Server | 16 random bytes | its own authenticator |
| Accounting-, CoA-, Disconnect-Request | MD5(packet with 16 zero bytes + secret) | 16 zero bytes |
| any reply | MD5(packet with the request's authenticator + secret) | the request's authenticator |

Message-Authenticator is written as the FIRST attribute whenever it is sent (BlastRADIUS,
CVE-2024-3596); it is sent by default in Access-* packets, Status-Server and CoA/Disconnect-Request.
"""

from __future__ import annotations

import hmac
import itertools
import os
import struct
from collections.abc import Iterator
from enum import IntEnum

from radius.protocol import crypto
from radius.protocol.dictionary import (
    DEFAULT_DICTIONARY,
    ENCRYPT_SALT,
    ENCRYPT_USER_PASSWORD,
    MESSAGE_AUTHENTICATOR,
    PROXY_STATE,
    VENDOR_SPECIFIC,
    AttributeDef,
    Dictionary,
)
from radius.protocol.errors import PacketError
from radius.protocol.values import decode_value, encode_value

HEADER_LENGTH = 20
MAX_PACKET_LENGTH = 4096
MAX_VALUE_LENGTH = 253  # 255 minus type and length
MAX_VSA_VALUE_LENGTH = 247  # 253 minus vendor id, vendor type and vendor length
ZERO_AUTHENTICATOR = bytes(16)


class Code(IntEnum):
    ACCESS_REQUEST = 1
    ACCESS_ACCEPT = 2
    ACCESS_REJECT = 3
    ACCOUNTING_REQUEST = 4
    ACCOUNTING_RESPONSE = 5
    ACCESS_CHALLENGE = 11
    STATUS_SERVER = 12
    DISCONNECT_REQUEST = 40
    DISCONNECT_ACK = 41
    DISCONNECT_NAK = 42
    COA_REQUEST = 43
    COA_ACK = 44
    COA_NAK = 45


_CODES = {c.value: c for c in Code}
# Which reply codes answer which request code.
REPLIES: dict[Code, frozenset[Code]] = {
    Code.ACCESS_REQUEST: frozenset({Code.ACCESS_ACCEPT, Code.ACCESS_REJECT, Code.ACCESS_CHALLENGE}),
    Code.ACCOUNTING_REQUEST: frozenset({Code.ACCOUNTING_RESPONSE}),
    Code.STATUS_SERVER: frozenset({Code.ACCESS_ACCEPT, Code.ACCOUNTING_RESPONSE}),
    Code.DISCONNECT_REQUEST: frozenset({Code.DISCONNECT_ACK, Code.DISCONNECT_NAK}),
    Code.COA_REQUEST: frozenset({Code.COA_ACK, Code.COA_NAK}),
}
REQUEST_CODES = frozenset(REPLIES)
_RANDOM_AUTHENTICATOR = frozenset({Code.ACCESS_REQUEST, Code.STATUS_SERVER})
_HASHED_REQUEST = frozenset({Code.ACCOUNTING_REQUEST, Code.DISCONNECT_REQUEST, Code.COA_REQUEST})
_MA_BY_DEFAULT = frozenset(
    {
        Code.ACCESS_REQUEST,
        Code.ACCESS_ACCEPT,
        Code.ACCESS_REJECT,
        Code.ACCESS_CHALLENGE,
        Code.STATUS_SERVER,
        Code.DISCONNECT_REQUEST,
        Code.COA_REQUEST,
    }
)
_MA_KEY = (0, MESSAGE_AUTHENTICATOR)
# Salts must be unique within a packet and should not repeat (RFC 2868): a counter from a random start.
_salts = itertools.count(int.from_bytes(os.urandom(2), "big"))
# Never shown by describe(): they are passwords, password proofs or keys.
_SENSITIVE = frozenset(
    {
        "user-password",
        "chap-password",
        "tunnel-password",
        "ms-chap-response",
        "ms-chap2-response",
        "ms-chap-mppe-keys",
        "ms-mppe-send-key",
        "ms-mppe-recv-key",
        "ms-chap-cpw-1",
        "ms-chap-cpw-2",
        "ms-chap2-cpw",
        "ms-chap-nt-enc-pw",
        "ms-chap-lm-enc-pw",
        "mikrotik-wireless-enc-key",
        "mikrotik-wireless-psk",
        "mikrotik-wireless-mpkey",
        "arap-password",
    }
)


def _code(value: int) -> Code:
    try:
        return _CODES[value]
    except KeyError:
        raise PacketError(f"unknown RADIUS code {value}") from None


class Packet:
    """One RADIUS packet. Build with `Packet(code, …)` / `request.reply(code)`, parse with `decode_packet`."""

    __slots__ = (
        "code",
        "identifier",
        "authenticator",
        "attributes",
        "secret",
        "request_authenticator",
        "dictionary",
        "message_authenticator",
        "raw",
        "_ma_offset",
    )

    def __init__(
        self,
        code: int,
        identifier: int = 0,
        *,
        secret: bytes = b"",
        authenticator: bytes | None = None,
        request_authenticator: bytes | None = None,
        dictionary: Dictionary = DEFAULT_DICTIONARY,
        message_authenticator: bool | None = None,
    ) -> None:
        try:
            self.code = _CODES[int(code)]
        except KeyError:
            raise ValueError(f"unknown RADIUS code {code}") from None
        if not 0 <= identifier <= 255:
            raise ValueError("identifier must be 0..255")
        self.identifier = identifier
        if authenticator is None:
            authenticator = os.urandom(16) if self.code in _RANDOM_AUTHENTICATOR else ZERO_AUTHENTICATOR
        if len(authenticator) != 16:
            raise ValueError("authenticator must be 16 bytes")
        self.authenticator = authenticator
        self.attributes: list[tuple[int, int, bytes]] = []
        self.secret = secret
        self.request_authenticator = request_authenticator
        self.dictionary = dictionary
        self.message_authenticator = (
            self.code in _MA_BY_DEFAULT if message_authenticator is None else message_authenticator
        )
        self.raw: bytes | None = None  # the datagram this packet was decoded from
        self._ma_offset: int | None = None  # where its Message-Authenticator value starts

    def __repr__(self) -> str:
        return f"<Packet {self.code.name} id={self.identifier} attrs={len(self.attributes)}>"

    # --- building ---------------------------------------------------------------------------
    def _crypt_authenticator(self) -> bytes:
        """The authenticator the hiding schemes key on for this packet."""
        if self.code in _RANDOM_AUTHENTICATOR:
            return self.authenticator
        if self.code in _HASHED_REQUEST:
            return ZERO_AUTHENTICATOR
        if self.request_authenticator is None:
            raise PacketError("a reply needs its request's authenticator to hide or reveal values")
        return self.request_authenticator

    def add(self, name: str | tuple[int, int], value: object, *, tag: int | None = None) -> Packet:
        """Append an attribute by name, encoding (and, where the dictionary says so, encrypting) it.

        ValueError when the value does not fit its type or length; returns self for chaining."""
        attr = self.dictionary[name]
        if attr.type == "vsa":
            raise ValueError("add the vendor attribute itself, not Vendor-Specific")
        raw = encode_value(attr, value)
        if attr.encrypt:
            if not self.secret:
                raise ValueError(f"{attr.name} needs the shared secret to be hidden")
            try:
                auth = self._crypt_authenticator()
            except PacketError as exc:
                raise ValueError(str(exc)) from None
            if attr.encrypt == ENCRYPT_USER_PASSWORD:
                raw = crypto.hide_user_password(raw, self.secret, auth)
            else:
                raw = crypto.salt_encrypt(raw, self.secret, auth, crypto.new_salt(next(_salts)))
        if attr.tag:
            tag = tag or 0
            if not 0 <= tag <= 0x1F:
                raise ValueError("tag must be 0..31")
            if attr.type == "integer":
                if raw[0]:
                    raise ValueError(f"{attr.name}: tagged integers are 24-bit")
                raw = bytes([tag]) + raw[1:]
            elif attr.encrypt == ENCRYPT_SALT or tag or (raw and raw[0] <= 0x1F):
                raw = bytes([tag]) + raw
        elif tag is not None:
            raise ValueError(f"{attr.name} takes no tag")
        limit = MAX_VSA_VALUE_LENGTH if attr.vendor else MAX_VALUE_LENGTH
        if attr.concat:
            for i in range(0, max(len(raw), 1), limit):
                self.attributes.append((attr.vendor, attr.code, raw[i : i + limit]))
            return self
        if len(raw) > limit:
            raise ValueError(f"{attr.name}: value longer than {limit} bytes")
        self.attributes.append((attr.vendor, attr.code, raw))
        return self

    def add_raw(self, vendor: int, code: int, raw: bytes) -> Packet:
        """Append wire bytes as they are (unknown or pre-encoded attributes)."""
        limit = MAX_VSA_VALUE_LENGTH if vendor else MAX_VALUE_LENGTH
        if len(raw) > limit or not 0 < code < 256 or not 0 <= vendor <= 0xFFFFFFFF:
            raise ValueError("raw attribute out of range")
        self.attributes.append((vendor, code, bytes(raw)))
        return self

    def remove(self, name: str | tuple[int, int]) -> None:
        key = self.dictionary[name].key
        self.attributes = [a for a in self.attributes if (a[0], a[1]) != key]

    def reply(self, code: int, **kwargs) -> Packet:
        """A reply to this request: same identifier and secret, Proxy-State copied (RFC 2865 5.33)."""
        reply = Packet(
            code,
            self.identifier,
            secret=self.secret,
            request_authenticator=self.authenticator,
            dictionary=self.dictionary,
            **kwargs,
        )
        reply.attributes.extend(a for a in self.attributes if a[0] == 0 and a[1] == PROXY_STATE)
        return reply

    # --- reading ----------------------------------------------------------------------------
    def find(self, vendor: int, code: int) -> bytes | None:
        """Raw wire value of the first attribute with this key (no decoding): the hot path's accessor."""
        for v, c, raw in self.attributes:
            if c == code and v == vendor:
                return raw
        return None

    def _reveal(self, attr: AttributeDef, raw: bytes) -> tuple[int | None, bytes]:
        """Strip the tag and undo the hiding: (tag, plain wire value)."""
        tag = None
        if attr.tag:
            if attr.type == "integer":
                if len(raw) != 4:
                    raise PacketError(f"{attr.name}: expected 4 bytes, got {len(raw)}")
                tag, raw = raw[0], b"\x00" + raw[1:]
            elif attr.encrypt == ENCRYPT_SALT or (raw and raw[0] <= 0x1F):
                if not raw:
                    raise PacketError(f"{attr.name}: empty")
                tag, raw = raw[0], raw[1:]
        if attr.encrypt:
            if not self.secret:
                raise PacketError(f"{attr.name}: cannot reveal without the shared secret")
            auth = self._crypt_authenticator()
            if attr.encrypt == ENCRYPT_USER_PASSWORD:
                raw = crypto.unhide_user_password(raw, self.secret, auth)
            else:
                raw = crypto.salt_decrypt(raw, self.secret, auth)
        return tag, raw

    def _values(self, attr: AttributeDef) -> list[bytes]:
        raws = [raw for v, c, raw in self.attributes if c == attr.code and v == attr.vendor]
        if attr.concat and raws:
            return [b"".join(raws)]
        return raws

    def get(self, name: str | tuple[int, int], default: object = None) -> object:
        """The first value of an attribute, typed and revealed; `default` when absent.

        PacketError when the value on the wire is malformed for its type."""
        attr = self.dictionary[name]
        raws = self._values(attr)
        if not raws:
            return default
        return decode_value(attr, self._reveal(attr, raws[0])[1])

    def get_all(self, name: str | tuple[int, int]) -> list[object]:
        attr = self.dictionary[name]
        return [decode_value(attr, self._reveal(attr, raw)[1]) for raw in self._values(attr)]

    def get_bytes(self, name: str | tuple[int, int]) -> bytes | None:
        """The first value as plain bytes (revealed, untyped): what password checks compare."""
        attr = self.dictionary[name]
        raws = self._values(attr)
        return self._reveal(attr, raws[0])[1] if raws else None

    def get_tagged(self, name: str | tuple[int, int]) -> list[tuple[int | None, object]]:
        """All values of a tagged attribute as (tag, value)."""
        attr = self.dictionary[name]
        out = []
        for raw in self._values(attr):
            tag, plain = self._reveal(attr, raw)
            out.append((tag, decode_value(attr, plain)))
        return out

    def __contains__(self, name: object) -> bool:
        """`"User-Name" in packet` or `(14988, 8) in packet` (raw keys need no dictionary entry)."""
        if isinstance(name, tuple):
            key = name
        elif isinstance(name, str) and name in self.dictionary:
            key = self.dictionary[name].key
        else:
            return False
        return any((v, c) == key for v, c, _ in self.attributes)

    def items(self) -> Iterator[tuple[str, object]]:
        """(name, typed value) for every attribute in order; unknown ones as raw bytes."""
        for vendor, code, raw in self.attributes:
            attr = self.dictionary.get((vendor, code))
            if attr is None:
                yield self.dictionary.name_for((vendor, code)), raw
            else:
                yield attr.name, decode_value(attr, self._reveal(attr, raw)[1])

    def describe(self) -> dict[str, list[str]]:
        """Attributes for logs: hidden values masked, malformed values marked, never raises."""
        out: dict[str, list[str]] = {}
        for vendor, code, raw in self.attributes:
            attr = self.dictionary.get((vendor, code))
            name = attr.name if attr else self.dictionary.name_for((vendor, code))
            if name.lower() in _SENSITIVE or attr is None or attr.encrypt:
                # unknown attributes may be some vendor's hidden value: only their size is shown
                text = "<hidden>" if attr is not None else f"<{len(raw)} bytes>"
            elif name == "Message-Authenticator":
                text = "<present>"
            else:
                try:
                    value = decode_value(attr, self._reveal(attr, raw)[1])
                    text = "0x" + value.hex() if isinstance(value, bytes) else str(value)
                except PacketError:
                    text = "<malformed>"
            out.setdefault(name, []).append(text)
        return out

    # --- wire -------------------------------------------------------------------------------
    def _encode_attributes(self, attributes: list[tuple[int, int, bytes]]) -> bytes:
        parts = []
        for vendor, code, raw in attributes:
            if vendor:
                parts.append(struct.pack("!BBIBB", VENDOR_SPECIFIC, len(raw) + 8, vendor, code, len(raw) + 2))
            else:
                parts.append(struct.pack("!BB", code, len(raw) + 2))
            parts.append(raw)
        return b"".join(parts)

    def encode(self) -> bytes:
        """Wire bytes with the authenticator (and Message-Authenticator) computed.

        For Accounting/CoA/Disconnect requests and for replies `self.authenticator` is set to the
        computed value, so a later reply to this packet can be verified against it."""
        if self.code not in REQUEST_CODES and self.request_authenticator is None:
            raise ValueError("a reply needs request_authenticator (use request.reply())")
        attributes = [a for a in self.attributes if (a[0], a[1]) != _MA_KEY]
        if self.message_authenticator:
            attributes.insert(0, (0, MESSAGE_AUTHENTICATOR, ZERO_AUTHENTICATOR))
        else:
            attributes = self.attributes
        body = self._encode_attributes(attributes)
        length = HEADER_LENGTH + len(body)
        if length > MAX_PACKET_LENGTH:
            raise ValueError(f"packet would be {length} bytes, more than {MAX_PACKET_LENGTH}")
        header = struct.pack("!BBH", self.code, self.identifier, length)
        if self.code in _RANDOM_AUTHENTICATOR:
            ma_auth = self.authenticator
        elif self.code in _HASHED_REQUEST:
            ma_auth = ZERO_AUTHENTICATOR
        else:
            ma_auth = self.request_authenticator
        if self.message_authenticator:
            if not self.secret:
                raise ValueError("Message-Authenticator needs the shared secret")
            mac = crypto.message_authenticator(header + ma_auth + body, self.secret)
            body = body[:2] + mac + body[18:]
        if self.code in _RANDOM_AUTHENTICATOR:
            auth = self.authenticator
        else:
            auth = crypto.response_authenticator(header, ma_auth, body, self.secret)
            self.authenticator = auth
        return header + auth + body

    # --- verification -------------------------------------------------------------------------
    def _check_message_authenticator(self, auth_field: bytes, required: bool) -> None:
        if self._ma_offset is None:
            if required:
                raise PacketError("Message-Authenticator missing")
            return
        raw = self.raw
        assert raw is not None
        off = self._ma_offset
        data = raw[:4] + auth_field + raw[20:off] + ZERO_AUTHENTICATOR + raw[off + 16 :]
        expected = crypto.message_authenticator(data, self.secret)
        if not hmac.compare_digest(expected, raw[off : off + 16]):
            raise PacketError("Message-Authenticator does not match (wrong secret?)")

    def verify_request(self, *, require_message_authenticator: bool = False) -> None:
        """Check a decoded request's integrity with its secret; PacketError when it fails.

        Accounting/CoA/Disconnect requests: the Request Authenticator. All: Message-Authenticator
        when present, and its presence when required (always for Status-Server, RFC 5997)."""
        if self.raw is None:
            raise ValueError("verify_request() is for decoded packets")
        if self.code not in REQUEST_CODES:
            raise PacketError(f"{self.code.name} is not a request")
        if self.code in _HASHED_REQUEST:
            expected = crypto.response_authenticator(self.raw[:4], ZERO_AUTHENTICATOR, self.raw[20:], self.secret)
            if not hmac.compare_digest(expected, self.authenticator):
                raise PacketError("Request Authenticator does not match (wrong secret?)")
            self._check_message_authenticator(ZERO_AUTHENTICATOR, require_message_authenticator)
        else:
            required = require_message_authenticator or self.code == Code.STATUS_SERVER
            self._check_message_authenticator(self.authenticator, required)

    def verify_reply(self, request: Packet, *, require_message_authenticator: bool = False) -> None:
        """Check a decoded reply against the request it answers; PacketError when it does not fit."""
        if self.raw is None:
            raise ValueError("verify_reply() is for decoded packets")
        if self.identifier != request.identifier:
            raise PacketError("reply identifier does not match the request")
        if self.code not in REPLIES.get(request.code, ()):
            raise PacketError(f"{self.code.name} does not answer {request.code.name}")
        expected = crypto.response_authenticator(self.raw[:4], request.authenticator, self.raw[20:], self.secret)
        if not hmac.compare_digest(expected, self.authenticator):
            raise PacketError("Response Authenticator does not match (wrong secret?)")
        self._check_message_authenticator(request.authenticator, require_message_authenticator)


def decode_packet(
    data: bytes,
    secret: bytes = b"",
    *,
    request: Packet | None = None,
    dictionary: Dictionary = DEFAULT_DICTIONARY,
) -> Packet:
    """Parse a datagram. Structure is checked strictly; integrity is checked by `verify_*`.

    Bytes past the Length field are padding and ignored (RFC 2865 3); anything else malformed
    raises PacketError. `request` is the request a reply answers (needed to reveal hidden values)."""
    data = bytes(data)
    if len(data) < HEADER_LENGTH:
        raise PacketError(f"packet too short: {len(data)} bytes")
    code_value, identifier, length = struct.unpack_from("!BBH", data)
    if not HEADER_LENGTH <= length <= MAX_PACKET_LENGTH:
        raise PacketError(f"length field {length} out of range 20..4096")
    if len(data) < length:
        raise PacketError(f"packet truncated: length field {length}, received {len(data)}")
    code = _code(code_value)
    packet = Packet(
        code,
        identifier,
        secret=secret,
        authenticator=data[4:20],
        request_authenticator=request.authenticator if request is not None else None,
        dictionary=dictionary,
        message_authenticator=False,
    )
    packet.raw = data = data[:length]
    attributes = packet.attributes
    pos = HEADER_LENGTH
    while pos < length:
        if length - pos < 2:
            raise PacketError(f"attribute header cut off at offset {pos}")
        atype = data[pos]
        alen = data[pos + 1]
        if alen < 2 or pos + alen > length:
            raise PacketError(f"attribute {atype} at offset {pos} has bad length {alen}")
        value = data[pos + 2 : pos + alen]
        if atype == VENDOR_SPECIFIC:
            _decode_vsa(value, attributes)
        else:
            if atype == MESSAGE_AUTHENTICATOR:
                if alen != 18:
                    raise PacketError("Message-Authenticator must be 16 bytes")
                if packet._ma_offset is not None:
                    raise PacketError("more than one Message-Authenticator")
                packet._ma_offset = pos + 2
            attributes.append((0, atype, value))
        pos += alen
    return packet


def _decode_vsa(value: bytes, attributes: list[tuple[int, int, bytes]]) -> None:
    """Split a Vendor-Specific attribute into vendor sub-attributes (type, length, value).

    A VSA that does not follow that layout is kept whole as raw attribute 26."""
    if len(value) >= 6:
        vendor = int.from_bytes(value[:4], "big")
        subs = []
        pos, end = 4, len(value)
        while vendor and pos < end:
            if end - pos < 2:
                break
            slen = value[pos + 1]
            if slen < 2 or pos + slen > end:
                break
            subs.append((vendor, value[pos], value[pos + 2 : pos + slen]))
            pos += slen
        else:
            if vendor:
                attributes.extend(subs)
                return
    attributes.append((0, VENDOR_SPECIFIC, value))
