"""CSV export of audit entries, streamed: one writer for the API and the HTML UI."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from audit import context
from audit.models import AuditEntry

COLUMNS = [
    "created",
    "seq",
    "id",
    "tenant_id",
    "site_id",
    "user_id",
    "username",
    "action",
    "target_type",
    "target_id",
    "target_name",
    "ip",
    "user_agent",
    "details",
    "prev_hash",
    "row_hash",
]
# A cell starting with one of these is a formula to a spreadsheet; usernames of failed logins and
# user agents are attacker-chosen, so such cells are prefixed with an apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1000


class _Line:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(entry: AuditEntry) -> list[str]:
    values = {
        "created": entry.created.isoformat(),
        "details": json.dumps(entry.details, sort_keys=True, ensure_ascii=False),
    }
    return [_cell(values[name] if name in values else getattr(entry, name)) for name in COLUMNS]


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The header, then one CSV line per entry (no database context of its own)."""
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for entry in entries:
        yield writer.writerow(_row(entry))


def csv_rows(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    """The CSV lines of `entries` (a scoped, filtered queryset), for a StreamingHttpResponse.

    Call it inside the transaction whose audit context let you build `entries`. A streamed body is
    produced after that transaction has ended (ATOMIC_REQUESTS commits when the view returns), and
    under row-level security a transaction without the context reads nothing: the lines are read
    in a transaction of their own, with the context captured by this call.
    """
    captured = context.current()

    def stream() -> Iterator[str]:
        with transaction.atomic():
            context.apply(captured)
            yield from csv_lines(entries.iterator(chunk_size=CHUNK))

    return stream()


def csv_response(entries: QuerySet[AuditEntry], filename: str) -> StreamingHttpResponse:
    """`csv_rows(entries)` as a streamed download named `filename`."""
    response = StreamingHttpResponse(csv_rows(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
