"""The bytes of a simulated `/system backup save` file: deterministic (same config, same bytes)
and shaped like RouterOS's (its magic numbers, a length, then the body), so the platform handles
a binary artefact it cannot read — as with a real router's backup.

Plain files start with RouterOS's unencrypted magic; files saved with `password=` start with
its encrypted magic, a salt, and a body the password's keystream has scrambled (not real
cryptography: a simulator must only not show the config in the clear)."""

from __future__ import annotations

import hashlib
import struct
import zlib

MAGIC_PLAIN = b"\x88\xac\xa1\xb1"  # RouterOS unencrypted backup
MAGIC_ENCRYPTED = b"\xef\xa8\x91\x72"  # RouterOS AES-SHA256 encrypted backup (6.43+)


def backup_bytes(snapshot: str, password: str = "") -> bytes:
    body = zlib.compress(snapshot.encode(), 6)
    if not password:
        return MAGIC_PLAIN + struct.pack("<I", 8 + len(body)) + body
    salt = hashlib.sha256(b"salt" + body).digest()[:16]
    stream = bytearray()
    counter = 0
    while len(stream) < len(body):
        stream += hashlib.sha256(password.encode() + salt + counter.to_bytes(8, "little")).digest()
        counter += 1
    scrambled = bytes(a ^ b for a, b in zip(body, stream, strict=False))
    return MAGIC_ENCRYPTED + salt + struct.pack("<I", 24 + len(body)) + scrambled


def is_backup(data: bytes) -> bool:
    return data[:4] in (MAGIC_PLAIN, MAGIC_ENCRYPTED)
