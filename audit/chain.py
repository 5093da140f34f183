"""The hash chain: how an entry's `row_hash` is computed and how a chain is checked.

`row_hash` = SHA-256 (hex) of the canonical JSON (sorted keys, compact separators, UTF-8) of the
entry's content plus its `prev_hash`; the first entry of a chain has `prev_hash` = GENESIS. Each
tenant has one chain, the platform (tenant NULL) another; `seq` numbers a chain from 1 without gaps.

What verification finds: any changed field (the row's hash no longer matches), a removed or inserted
row in the middle (a gap in `seq`, or a `prev_hash` that is not the previous row's hash), and a
removed first row. What it cannot find on its own: rows removed from the END of a chain, or a chain
rewritten from some point on with fresh hashes. `audit_verify -v 2` prints each chain's head
(seq and hash); recording those elsewhere from time to time closes both gaps.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

GENESIS = "0" * 64


def _optional_str(value) -> str | None:
    return None if value is None else str(value)


def _canonical_ip(value: str | None) -> str | None:
    # The inet column may spell an address differently from how it was written (IPv6 forms);
    # hashing the parsed address makes both sides agree.
    return None if not value else str(ipaddress.ip_address(value))


def content(entry) -> dict:
    """Everything the hash covers, in plain JSON types. `entry` is an AuditEntry (saved or not)."""
    return {
        "id": str(entry.id),
        "tenant": _optional_str(entry.tenant_id),
        "seq": entry.seq,
        "created": entry.created.astimezone(UTC).isoformat(timespec="microseconds"),
        "user": entry.user_id,
        "username": entry.username,
        "site": _optional_str(entry.site_id),
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_name": entry.target_name,
        "details": entry.details,
        "ip": _canonical_ip(entry.ip),
        "user_agent": entry.user_agent,
        "prev_hash": entry.prev_hash,
    }


def row_hash(entry) -> str:
    canonical = json.dumps(content(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first link of a chain that does not hold."""

    seq: int
    id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head_seq: int
    head_hash: str
    broken: Break | None


def verify(entries: Iterable) -> ChainReport:
    """Walk one chain's entries in `seq` order; stop at the first broken link."""
    expected_seq, prev, count = 1, GENESIS, 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            reason = f"expected seq {expected_seq}: entries are missing or were inserted"
        elif entry.prev_hash != prev:
            reason = "prev_hash is not the previous entry's row_hash"
        elif entry.row_hash != row_hash(entry):
            reason = "the entry's content does not match its row_hash"
        else:
            expected_seq, prev = entry.seq + 1, entry.row_hash
            continue
        return ChainReport(count, expected_seq - 1, prev, Break(entry.seq, entry.id, reason))
    return ChainReport(count, expected_seq - 1, prev, None)
