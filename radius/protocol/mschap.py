"""MS-CHAP v1 (RFC 2433) and v2 (RFC 2759) server side, and MPPE keys (RFC 2548, RFC 3079).

A RouterOS PPP server (PPTP/L2TP/SSTP/PPPoE with mschap2) sends MS-CHAP-Challenge and
MS-CHAP2-Response; it accepts only when the Access-Accept carries MS-CHAP2-Success (which proves
the server knew the password too) and, to encrypt the link, MS-MPPE-Send-Key / MS-MPPE-Recv-Key
derived from the same exchange (the keys from the NAS' = PPP server's point of view).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from radius.protocol.md4 import md4

try:  # cryptography >= 43 keeps single DES under "decrepit"
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

# RFC 2759 8.7 / RFC 3079 3.4 magic constants.
_MAGIC1 = b"Magic server to client signing constant"
_MAGIC2 = b"Pad to make it do more than one iteration"
_KEY_MAGIC1 = b"This is the MPPE Master Key"
_KEY_MAGIC2 = b"On the client side, this is the send key; on the server side, it is the receive key."
_KEY_MAGIC3 = b"On the client side, this is the receive key; on the server side, it is the send key."
_SHS_PAD1 = b"\x00" * 40
_SHS_PAD2 = b"\xf2" * 40


def _sha1(*parts: bytes) -> bytes:
    return hashlib.sha1(b"".join(parts), usedforsecurity=False).digest()


def _des_key(key7: bytes) -> bytes:
    """Spread 56 key bits over 8 bytes (parity bits are ignored by DES)."""
    n = int.from_bytes(key7, "big")
    return bytes(((n >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def des_encrypt(clear: bytes, key7: bytes) -> bytes:
    """DesEncrypt of RFC 2759 8.6: one 8-byte block under a 7-byte key (3DES with K1=K2=K3 = DES)."""
    key = _des_key(key7)
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # noqa: S305 - the protocol's own construction
    return encryptor.update(clear) + encryptor.finalize()


def nt_password_hash(password: str | bytes) -> bytes:
    """NtPasswordHash: MD4 of the UTF-16LE password (bytes are taken as UTF-8 text)."""
    if isinstance(password, bytes):
        password = password.decode("utf-8", "surrogatepass")
    return md4(password.encode("utf-16-le"))


def hash_nt_password_hash(password_hash: bytes) -> bytes:
    return md4(password_hash)


def challenge_response(challenge: bytes, password_hash: bytes) -> bytes:
    """ChallengeResponse: three DES encryptions of the 8-byte challenge (RFC 2759 8.5)."""
    z = password_hash + b"\x00" * 5
    return des_encrypt(challenge, z[0:7]) + des_encrypt(challenge, z[7:14]) + des_encrypt(challenge, z[14:21])


def challenge_hash(peer_challenge: bytes, authenticator_challenge: bytes, username: str | bytes) -> bytes:
    if isinstance(username, str):
        username = username.encode()
    return _sha1(peer_challenge, authenticator_challenge, username)[:8]


def strip_domain(username: str | bytes) -> bytes:
    """The user name MS-CHAPv2 hashes: without a `DOMAIN\\` prefix (RFC 2759 4)."""
    if isinstance(username, str):
        username = username.encode()
    return username.rsplit(b"\\", 1)[-1]


def generate_nt_response(
    authenticator_challenge: bytes, peer_challenge: bytes, username: str | bytes, password_hash: bytes
) -> bytes:
    return challenge_response(challenge_hash(peer_challenge, authenticator_challenge, username), password_hash)


def generate_authenticator_response(
    password_hash: bytes,
    nt_response: bytes,
    peer_challenge: bytes,
    authenticator_challenge: bytes,
    username: str | bytes,
) -> str:
    """The 42-character "S=<40 hex>" string of RFC 2759 8.7."""
    digest = _sha1(hash_nt_password_hash(password_hash), nt_response, _MAGIC1)
    challenge = challenge_hash(peer_challenge, authenticator_challenge, username)
    return "S=" + _sha1(digest, challenge, _MAGIC2).hex().upper()


# --- MPPE keys (RFC 3079) ---------------------------------------------------------------------
def master_key(password_hash_hash: bytes, nt_response: bytes) -> bytes:
    return _sha1(password_hash_hash, nt_response, _KEY_MAGIC1)[:16]


def asymmetric_start_key(master: bytes, length: int, *, is_send: bool, is_server: bool) -> bytes:
    magic = _KEY_MAGIC3 if is_send == is_server else _KEY_MAGIC2
    return _sha1(master, _SHS_PAD1, magic, _SHS_PAD2)[:length]


@dataclass(frozen=True, slots=True)
class MsChap2Result:
    """What an accepting server puts in the Access-Accept."""

    success: bytes  # MS-CHAP2-Success value: ident byte + b"S=..."
    send_key: bytes  # MS-MPPE-Send-Key (server -> client), 16 bytes
    recv_key: bytes  # MS-MPPE-Recv-Key (client -> server), 16 bytes


def verify_mschap2(
    username: str | bytes,
    password: str | bytes,
    authenticator_challenge: bytes,
    response: bytes,
    *,
    password_hash: bytes | None = None,
) -> MsChap2Result | None:
    """Check an MS-CHAP2-Response (50 bytes: ident, flags, peer challenge, 8 reserved, NT-Response).

    Returns the reply material when the password matches, None otherwise (also for malformed
    input, which a client cannot distinguish from a wrong password). `password_hash` may be given
    instead of the password (an NT hash store)."""
    if len(response) != 50 or len(authenticator_challenge) != 16:
        return None
    ident, peer_challenge, nt_response = response[0], response[2:18], response[26:50]
    name = strip_domain(username)
    pw_hash = password_hash if password_hash is not None else nt_password_hash(password)
    expected = generate_nt_response(authenticator_challenge, peer_challenge, name, pw_hash)
    if not hmac.compare_digest(expected, nt_response):
        return None
    auth_response = generate_authenticator_response(pw_hash, nt_response, peer_challenge, authenticator_challenge, name)
    master = master_key(hash_nt_password_hash(pw_hash), nt_response)
    return MsChap2Result(
        success=bytes([ident]) + auth_response.encode(),
        send_key=asymmetric_start_key(master, 16, is_send=True, is_server=True),
        recv_key=asymmetric_start_key(master, 16, is_send=False, is_server=True),
    )


def mschap2_client_response(
    username: str | bytes, password: str | bytes, authenticator_challenge: bytes, peer_challenge: bytes, ident: int = 0
) -> bytes:
    """The 50-byte MS-CHAP2-Response a PPP client would send (for the load generator and tests)."""
    nt = generate_nt_response(
        authenticator_challenge, peer_challenge, strip_domain(username), nt_password_hash(password)
    )
    return bytes([ident, 0]) + peer_challenge + b"\x00" * 8 + nt


def mschap2_error(
    ident: int, authenticator_challenge: bytes, code: int = 691, message: str = "Authentication failed"
) -> bytes:
    """MS-CHAP-Error value for a reject: E=691 (wrong password), R=0 (do not retry), V=3."""
    text = f"E={code} R=0 C={authenticator_challenge.hex().upper()} V=3 M={message}"
    return bytes([ident]) + text.encode()


def verify_mschap1(
    password: str | bytes, challenge: bytes, response: bytes, *, password_hash: bytes | None = None
) -> bytes | None:
    """Check an MS-CHAP-Response (RFC 2433 / RFC 2548 2.1.3: ident, flags, LM-Response, NT-Response)
    against an 8-byte MS-CHAP-Challenge. Returns the MS-CHAP-MPPE-Keys plaintext (8 zero bytes in
    place of the LM key, which we never compute, + the 16-byte NT hash hash) or None."""
    if len(response) != 50 or len(challenge) != 8 or response[1] != 1:  # flags=1: use the NT-Response
        return None
    pw_hash = password_hash if password_hash is not None else nt_password_hash(password)
    if not hmac.compare_digest(challenge_response(challenge, pw_hash), response[26:50]):
        return None
    return b"\x00" * 8 + hash_nt_password_hash(pw_hash)
