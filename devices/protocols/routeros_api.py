"""A faster RouterOS API client built on librouteros' own classes.

librouteros' async read path awaits three times per word (≈770 awaits per poll), builds debug
strings for every word and casts every value; together that was ~90% of its CPU in the
measurements of ../shared/design/routeros.md. `BufferedApiProtocol` parses whole TCP reads from a
buffer and `RawApi` returns values as the strings RouterOS sent, so the poller casts only the
fields it stores. Everything else — transport, login, errors (TrapError, FatalError,
ConnectionClosed) — is librouteros' own, so behaviour against a real router is unchanged.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque

from librouteros import async_create_transport
from librouteros.exceptions import ConnectionClosed, FatalError, MultiTrapError, TrapError
from librouteros.protocol import AsyncApiProtocol, encode_sentence

__all__ = ["BufferedApiProtocol", "RawApi", "open_api", "TrapError", "FatalError", "ConnectionClosed"]

READ_CHUNK = 65536
CLOSE_WAIT_S = 0.5


def _split_word(buf: bytearray, pos: int) -> tuple[int, int] | None:
    """(start, end) of the word whose length prefix begins at `pos`, or None if incomplete."""
    size = len(buf)
    if pos >= size:
        return None
    first = buf[pos]
    if first < 0x80:
        start, length = pos + 1, first
    elif first < 0xC0:
        if pos + 2 > size:
            return None
        start, length = pos + 2, ((first & 0x3F) << 8) | buf[pos + 1]
    elif first < 0xE0:
        if pos + 3 > size:
            return None
        start, length = pos + 3, ((first & 0x1F) << 16) | (buf[pos + 1] << 8) | buf[pos + 2]
    elif first < 0xF0:
        if pos + 4 > size:
            return None
        start = pos + 4
        length = ((first & 0x0F) << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]
    else:
        if pos + 5 > size:
            return None
        start, length = pos + 5, int.from_bytes(buf[pos + 1 : pos + 5], "big")
    end = start + length
    return (start, end) if end <= size else None


class BufferedApiProtocol(AsyncApiProtocol):
    """Reads whole chunks from the stream and cuts every complete sentence out of the buffer at
    once (one buffer shift per read, not one per sentence: a 28-interface reply arrives in one
    read and would otherwise be shifted 28 times)."""

    def __init__(self, transport, encoding: str, timeout: float | None = None):
        super().__init__(transport, encoding, timeout)
        self._buf = bytearray()
        self._ready: deque[tuple[str, ...]] = deque()

    async def writeSentence(self, cmd: str, *words: str) -> None:  # noqa: N802 - librouteros' name
        self.transport.writer.write(encode_sentence(cmd, *words, encoding=self.encoding))
        await asyncio.wait_for(self.transport.writer.drain(), self.timeout)

    def write_sentences(self, sentences: list[tuple[str, ...]]) -> None:
        """Queue several sentences in one write (pipelining; the caller drains)."""
        self.transport.writer.write(b"".join(encode_sentence(*words, encoding=self.encoding) for words in sentences))

    async def drain(self) -> None:
        await asyncio.wait_for(self.transport.writer.drain(), self.timeout)

    def _take_sentences(self) -> None:
        buf, pos, words, done = self._buf, 0, [], 0
        encoding, ready = self.encoding, self._ready
        while True:
            span = _split_word(buf, pos)
            if span is None:
                break
            start, end = span
            if start == end:  # the empty word ends a sentence
                ready.append(tuple(words))
                words = []
                done = end
            else:
                words.append(buf[start:end].decode(encoding, errors="replace"))
            pos = end
        if done:
            del buf[:done]

    def _take_sentence(self) -> tuple[str, ...] | None:
        if not self._ready:
            self._take_sentences()
        return self._ready.popleft() if self._ready else None

    async def readSentence(self) -> tuple[str, tuple[str, ...]]:  # noqa: N802
        sentence = self._take_sentence()
        while sentence is None:
            chunk = await asyncio.wait_for(self.transport.reader.read(READ_CHUNK), self.timeout)
            if not chunk:
                raise ConnectionClosed("Connection unexpectedly closed.")
            self._buf += chunk
            sentence = self._take_sentence()
        if not sentence:
            raise ConnectionClosed("Empty sentence from the router.")
        reply_word, words = sentence[0], sentence[1:]
        if reply_word == "!fatal":
            await self.transport.close()
            raise FatalError(words[0] if words else "fatal")
        return reply_word, words


class RawApi:
    """Commands over one connection; replies as lists of {name: string} (no casting)."""

    def __init__(self, protocol: BufferedApiProtocol):
        self.protocol = protocol

    async def call(self, cmd: str, *words: str, **attrs: str) -> list[dict[str, str]]:
        words = (*words, *(f"={k}={v}" for k, v in attrs.items()))
        await self.protocol.writeSentence(cmd, *words)
        rows: list[dict[str, str]] = []
        traps: list[TrapError] = []
        while True:
            reply, sentence_words = await self.protocol.readSentence()
            row = dict(_parse(word) for word in sentence_words)
            if reply == "!re":
                rows.append(row)
            elif reply == "!trap":
                traps.append(TrapError(message=row.get("message", ""), category=_int(row.get("category"))))
            elif reply in ("!done", "!empty"):
                if reply == "!done" and row:
                    rows.append(row)
                if reply == "!done":
                    break
        if len(traps) > 1:
            raise MultiTrapError(*traps)
        if traps:
            raise traps[0]
        return rows

    async def call_many(self, commands: list[tuple[str, ...]]) -> list[list[dict[str, str]] | TrapError]:
        """Pipeline several commands on one connection: each is sent with its own `.tag`, all in
        one write, and the replies (which RouterOS may interleave) are sorted back by tag. One
        round trip instead of one per command. Per command: its rows, or the TrapError it got
        (a trap fails only that command). Connection errors raise as for `call`."""
        self.protocol.write_sentences([(*command, f".tag={i}") for i, command in enumerate(commands)])
        await self.protocol.drain()
        results: list[list[dict[str, str]] | TrapError] = [[] for _ in commands]
        pending = len(commands)
        while pending:
            reply, sentence_words = await self.protocol.readSentence()
            row: dict[str, str] = {}
            tag = -1
            for word in sentence_words:
                if word[0] == "=":
                    name, _, value = word[1:].partition("=")
                    row[name] = value
                elif word.startswith(".tag="):
                    tag = int(word[5:])
                else:
                    name, _, value = word.partition("=")
                    row[name] = value
            if not 0 <= tag < len(commands):
                continue  # an untagged or foreign reply: not ours
            if reply == "!re":
                out = results[tag]
                if isinstance(out, list):
                    out.append(row)
            elif reply == "!trap":
                results[tag] = TrapError(message=row.get("message", ""), category=_int(row.get("category")))
            elif reply == "!done":
                pending -= 1
        return results

    async def close(self) -> None:
        """Close without waiting long for the peer (a TLS close_notify may never be answered)."""
        writer = self.protocol.transport.writer
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), CLOSE_WAIT_S)
        except (TimeoutError, OSError, ConnectionClosed, ssl.SSLError):
            pass


def _parse(word: str) -> tuple[str, str]:
    # "=name=value" and ".tag=x" forms; values may themselves contain "="
    if word.startswith("="):
        name, _, value = word[1:].partition("=")
    else:
        name, _, value = word.partition("=")
    return name, value


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


async def open_api(
    host: str,
    port: int,
    username: str,
    password: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 10.0,
) -> RawApi:
    """Connect and log in (RouterOS 6.43+ plain login; use API-SSL so the password is encrypted)."""
    transport = await async_create_transport(host=host, port=port, saddr=None, timeout=timeout, ssl_wrapper=ssl_context)
    api = RawApi(BufferedApiProtocol(transport, "utf-8", timeout))
    try:
        await api.call("/login", name=username, password=password)
    except BaseException:
        await api.close()
        raise
    return api
