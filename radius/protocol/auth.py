"""Password checks for the methods a RouterOS NAS uses: PAP, CHAP, MS-CHAP v1/v2, and TOTP.

Each check takes the decoded Access-Request and the user's clear-text password (User Manager keeps
passwords reversibly encrypted precisely because CHAP and MS-CHAP need them) and answers with a
`AuthResult`: accepted or not, the method, and the reply attributes the method requires. Checks
compare in constant time and never raise on malformed client input: that is a reject.

TOTP (RFC 6238): a user with an otp-secret types password + current code. `candidate_passwords`
yields the password+code strings inside the window, which CHAP/MS-CHAP (where the server cannot
split the typed string) check one by one; PAP splits directly.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from radius.protocol import mschap
from radius.protocol.definitions import MICROSOFT
from radius.protocol.errors import PacketError
from radius.protocol.packet import Packet

PAP, CHAP, MSCHAP1, MSCHAP2 = "pap", "chap", "mschap1", "mschap2"

_CHAP_PASSWORD = (0, 3)
_CHAP_CHALLENGE = (0, 60)
_USER_PASSWORD = (0, 2)
_MS_CHAP_CHALLENGE = (MICROSOFT, 11)
_MS_CHAP_RESPONSE = (MICROSOFT, 1)
_MS_CHAP2_RESPONSE = (MICROSOFT, 25)


@dataclass(slots=True)
class AuthResult:
    method: str | None
    accepted: bool
    reason: str = ""
    # (attribute name, value) pairs the method needs in the Access-Accept or -Reject.
    reply: list[tuple[str, object]] = field(default_factory=list)
    otp_counter: int | None = None  # the TOTP step that matched (for replay protection)


def detect_method(request: Packet) -> str | None:
    """Which method an Access-Request uses, from the attributes present."""
    keys = {(v, c) for v, c, _ in request.attributes}
    if _MS_CHAP2_RESPONSE in keys and _MS_CHAP_CHALLENGE in keys:
        return MSCHAP2
    if _MS_CHAP_RESPONSE in keys and _MS_CHAP_CHALLENGE in keys:
        return MSCHAP1
    if _CHAP_PASSWORD in keys:
        return CHAP
    if _USER_PASSWORD in keys:
        return PAP
    return None


def _as_bytes(password: str | bytes) -> bytes:
    return password.encode() if isinstance(password, str) else password


def check_pap(request: Packet, password: str | bytes) -> bool:
    try:
        given = request.get_bytes("User-Password")
    except PacketError:
        return False
    return given is not None and hmac.compare_digest(given, _as_bytes(password))


def check_chap(request: Packet, password: str | bytes) -> bool:
    """RFC 1994/2865: CHAP-Password = ident + MD5(ident + password + challenge); the challenge is
    CHAP-Challenge or, when absent, the Request Authenticator."""
    chap = request.find(*_CHAP_PASSWORD)
    if chap is None or len(chap) != 17:
        return False
    challenge = request.find(*_CHAP_CHALLENGE)
    if challenge is None:
        challenge = request.authenticator
    expected = hashlib.md5(chap[:1] + _as_bytes(password) + challenge, usedforsecurity=False).digest()
    return hmac.compare_digest(expected, chap[1:])


def authenticate(
    request: Packet,
    password: str | bytes,
    *,
    otp_secret: bytes | None = None,
    allowed: Iterable[str] | None = None,
    now: float | None = None,
    otp_window: int = 1,
) -> AuthResult:
    """Run the request's method against the user's password (plus TOTP when `otp_secret` is set).

    `allowed` limits the methods (a User Manager group's outer auths); another method is rejected
    with a reason. Reply attributes for MS-CHAP (Success/Error, MPPE keys) are in `result.reply`."""
    method = detect_method(request)
    if method is None:
        return AuthResult(None, False, "no supported authentication attributes")
    if allowed is not None and method not in set(allowed):
        return AuthResult(method, False, f"authentication method {method} not allowed for this user")
    candidates: Iterable[tuple[bytes, int | None]]
    if otp_secret:
        if method == PAP:
            candidates = _pap_otp_candidate(request, password, otp_secret, now, otp_window)
        else:
            candidates = candidate_passwords(password, otp_secret, now=now, window=otp_window)
    else:
        candidates = [(_as_bytes(password), None)]
    for candidate, counter in candidates:
        result = _check_one(method, request, candidate)
        if result.accepted:
            result.otp_counter = counter
            return result
    return _rejected(method, request)


def _check_one(method: str, request: Packet, password: bytes) -> AuthResult:
    if method == PAP:
        return AuthResult(PAP, check_pap(request, password))
    if method == CHAP:
        return AuthResult(CHAP, check_chap(request, password))
    challenge = request.find(*_MS_CHAP_CHALLENGE) or b""
    user = request.find(0, 1) or b""
    if method == MSCHAP2:
        response = request.find(*_MS_CHAP2_RESPONSE) or b""
        ok = mschap.verify_mschap2(user, password, challenge, response)
        if ok is None:
            return AuthResult(MSCHAP2, False)
        return AuthResult(
            MSCHAP2,
            True,
            reply=[
                ("MS-CHAP2-Success", ok.success),
                ("MS-MPPE-Recv-Key", ok.recv_key),
                ("MS-MPPE-Send-Key", ok.send_key),
                ("MS-MPPE-Encryption-Policy", "Encryption-Allowed"),
                ("MS-MPPE-Encryption-Types", "RC4-40or128-bit-Allowed"),
            ],
        )
    response = request.find(*_MS_CHAP_RESPONSE) or b""
    keys = mschap.verify_mschap1(password, challenge, response)
    if keys is None:
        return AuthResult(MSCHAP1, False)
    return AuthResult(
        MSCHAP1,
        True,
        reply=[
            ("MS-CHAP-MPPE-Keys", keys),
            ("MS-MPPE-Encryption-Policy", "Encryption-Allowed"),
            ("MS-MPPE-Encryption-Types", "RC4-40or128-bit-Allowed"),
        ],
    )


def _rejected(method: str, request: Packet) -> AuthResult:
    result = AuthResult(method, False, "wrong password")
    if method == MSCHAP2:
        response = request.find(*_MS_CHAP2_RESPONSE) or b"\x00"
        challenge = request.find(*_MS_CHAP_CHALLENGE) or b""
        result.reply.append(("MS-CHAP-Error", mschap.mschap2_error(response[0], challenge)))
    elif method == MSCHAP1:
        response = request.find(*_MS_CHAP_RESPONSE) or b"\x00"
        result.reply.append(("MS-CHAP-Error", bytes([response[0]]) + b"E=691 R=0"))
    return result


# --- TOTP (RFC 6238, HMAC-SHA1, 30 s steps) ------------------------------------------------------
def totp(secret: bytes, at: float | None = None, *, digits: int = 6, step: int = 30, counter: int | None = None) -> str:
    """The code for time `at` (or for an explicit step `counter`)."""
    if counter is None:
        counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(secret, struct.pack("!Q", counter), "sha1").digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack("!I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp_counters(now: float | None, window: int, step: int = 30) -> list[int]:
    """The steps accepted at `now`: the current one first, then ±1 … ±window (clock drift)."""
    current = int((time.time() if now is None else now) // step)
    out = [current]
    for d in range(1, window + 1):
        out += [current - d, current + d]
    return out


def verify_totp(secret: bytes, code: str, *, now: float | None = None, window: int = 1, digits: int = 6) -> int | None:
    """The matching step counter, or None."""
    if len(code) != digits or not code.isdigit():
        return None
    for counter in totp_counters(now, window):
        if hmac.compare_digest(totp(secret, counter=counter, digits=digits), code):
            return counter
    return None


def candidate_passwords(
    password: str | bytes, otp_secret: bytes, *, now: float | None = None, window: int = 1, digits: int = 6
) -> Iterator[tuple[bytes, int]]:
    """password + code for each step inside the window (for methods that hash the typed string)."""
    base = _as_bytes(password)
    for counter in totp_counters(now, window):
        yield base + totp(otp_secret, counter=counter, digits=digits).encode(), counter


def _pap_otp_candidate(
    request: Packet, password: str | bytes, otp_secret: bytes, now: float | None, window: int, digits: int = 6
) -> Iterator[tuple[bytes, int]]:
    """PAP carries the typed string: split the trailing code off and check it once."""
    try:
        typed = request.get_bytes("User-Password") or b""
    except PacketError:
        return
    code = typed[-digits:]
    counter = verify_totp(otp_secret, code.decode("ascii", "replace"), now=now, window=window, digits=digits)
    if counter is not None:
        # The code is right; the PAP comparison of the whole typed string now checks the password part.
        yield _as_bytes(password) + code, counter
