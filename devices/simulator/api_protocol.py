"""RouterOS API word/sentence codec, parsing whole TCP reads (not byte by byte).

A word is a length prefix (1-5 bytes) plus bytes; a sentence is words ending with an
empty word.  `SentenceReader.feed()` takes any chunk and returns the complete sentences.
"""

from __future__ import annotations


class ProtocolViolation(Exception):
    """The peer sent bytes that are not the API protocol."""


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def encode_word(word: str) -> bytes:
    data = word.encode("utf-8")
    n = len(data)
    if n < 0x80:
        return bytes((n,)) + data
    return encode_length(n) + data


def encode_sentence(words: list[str] | tuple[str, ...]) -> bytes:
    return b"".join([encode_word(w) for w in words]) + b"\x00"


_REPLY_WORDS = {w: encode_word(w) for w in ("!re", "!done", "!trap", "!empty", "!fatal")}


def encode_reply(reply: str, attrs: dict[str, str], tag: str | None = None) -> bytes:
    """One reply sentence: `!re`/`!done`/`!trap` plus `=k=v` words and an optional `.tag`.

    Fast path: when every word is ASCII and shorter than 128 bytes (nearly always), the
    one-byte length prefixes are built as characters and the sentence is encoded at once.
    """
    words = [f"={k}={v}" for k, v in attrs.items()]
    if tag is not None:
        words.append(f".tag={tag}")
    head = _REPLY_WORDS.get(reply) or encode_word(reply)
    if not words:
        return head + b"\x00"
    if max(map(len, words)) < 0x80:
        text = "".join([chr(len(w)) + w for w in words])
        if text.isascii():
            return head + text.encode("ascii") + b"\x00"
    return head + b"".join([encode_word(w) for w in words]) + b"\x00"


class SentenceReader:
    """Incremental parser: feed bytes, get complete sentences (lists of str)."""

    __slots__ = ("_buf", "_words")

    def __init__(self) -> None:
        self._buf = b""
        self._words: list[str] = []

    def feed(self, data: bytes) -> list[list[str]]:
        buf = self._buf + data if self._buf else data
        pos, end = 0, len(buf)
        out: list[list[str]] = []
        words = self._words
        while pos < end:
            c = buf[pos]
            if c < 0x80:
                n, hdr = c, 1
            elif c < 0xC0:
                if pos + 2 > end:
                    break
                n, hdr = ((c & 0x3F) << 8) | buf[pos + 1], 2
            elif c < 0xE0:
                if pos + 3 > end:
                    break
                n, hdr = int.from_bytes(buf[pos : pos + 3], "big") & 0x1FFFFF, 3
            elif c < 0xF0:
                if pos + 4 > end:
                    break
                n, hdr = int.from_bytes(buf[pos : pos + 4], "big") & 0x0FFFFFFF, 4
            elif c == 0xF0:
                if pos + 5 > end:
                    break
                n, hdr = int.from_bytes(buf[pos + 1 : pos + 5], "big"), 5
            else:
                raise ProtocolViolation(f"bad control byte {c:#x}")
            if n == 0:
                pos += 1
                if words:
                    out.append(words)
                    words = []
                continue
            if pos + hdr + n > end:
                break
            words.append(buf[pos + hdr : pos + hdr + n].decode("utf-8", "replace"))
            pos += hdr + n
        self._words = words
        self._buf = buf[pos:] if pos < end else b""
        return out
