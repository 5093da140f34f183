"""Reading stored backups: their text (secrets masked for non-admins), downloads, diffs and the
fleet-wide change list. No network, no writes. Split out of services.py, which re-exports these."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from devices.keyring import decrypt_secret
from devices.models import BackupStatus, ConfigBackup, Device
from devices.models.backups import BLOB_PURPOSE

# attribute=value pairs that hold secrets in RouterOS exports (masked for non-admins)
SECRET_ATTR_RE = re.compile(
    r"(?P<name>\b[\w-]*(?:password|secret|passphrase|pre-shared-key|auth-key|priv-key|private-key|psk)"
    r"(?:-[\w-]+)?)=(?P<value>\"(?:[^\"\\]|\\.)*\"|\S+)"
)
MASK = "********"


def mask_secrets(text: str) -> str:
    return SECRET_ATTR_RE.sub(lambda m: f"{m.group('name')}={MASK}", text)


def backup_text(backup: ConfigBackup, *, reveal_secrets: bool = False) -> str:
    """The stored normalised export of an ok backup ("" for a failed one). Secrets of a sensitive
    version are masked unless `reveal_secrets` (admins downloading)."""
    if backup.blob_id is None:
        return ""
    blob = backup.blob
    if blob.sealed is not None:
        text = decrypt_secret(blob.tenant_id, BLOB_PURPOSE, blob.pk, blob.sealed).reveal()
    else:
        text = blob.text
    return text if reveal_secrets or not blob.sensitive else mask_secrets(text)


def download_text(backup: ConfigBackup) -> str:
    """The `.rsc` users download: a provenance comment, then the full stored export (secrets
    included — callers check who may download a sensitive version)."""
    head = f"# mikman config backup {backup.pk} of {backup.device.name}, taken {backup.taken_at.isoformat()}\n"
    return head + backup_text(backup, reveal_secrets=True)


def previous_version(backup: ConfigBackup) -> ConfigBackup | None:
    """The device's good version before this one (the default "from" of a diff)."""
    return (
        ConfigBackup.objects.filter(device_id=backup.device_id, status=BackupStatus.OK, taken_at__lt=backup.taken_at)
        .exclude(pk=backup.pk)
        .order_by("-taken_at")
        .first()
    )


def label(backup: ConfigBackup | None) -> str:
    if backup is None:
        return "(nothing)"
    return f"{backup.device.name} {backup.taken_at:%Y-%m-%d %H:%M:%S} {backup.sha256[:10]}"


def unified_diff(old: ConfigBackup | None, new: ConfigBackup, *, reveal_secrets: bool = False, context: int = 3) -> str:
    old_text = backup_text(old, reveal_secrets=reveal_secrets) if old is not None else ""
    new_text = backup_text(new, reveal_secrets=reveal_secrets)
    return "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=label(old),
            tofile=label(new),
            n=context,
        )
    )


@dataclass(frozen=True)
class SideBySideRow:
    kind: str  # equal, replace, delete, insert
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def side_by_side(old_text: str, new_text: str, *, context: int = 3) -> list[SideBySideRow | None]:
    """Rows for a two-column diff; None marks skipped unchanged lines between hunks."""
    a, b = old_text.splitlines(), new_text.splitlines()
    rows: list[SideBySideRow | None] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if rows:
            rows.append(None)
        for tag, i1, i2, j1, j2 in group:
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                left = a[i] if i < i2 else None
                right = b[j] if j < j2 else None
                rows.append(
                    SideBySideRow(
                        tag,
                        i + 1 if left is not None else None,
                        left or "",
                        j + 1 if right is not None else None,
                        right or "",
                    )
                )
    return rows


def diff_stats(diff: str) -> tuple[int, int]:
    added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return added, removed


@dataclass
class FleetChange:
    device: Device
    before: ConfigBackup | None  # newest good version before `since`
    after: ConfigBackup  # newest good version now
    versions: int  # distinct new versions since `since`
    added: int
    removed: int


def fleet_changes(backups, since: datetime, *, reveal_secrets: bool = False, limit: int = 500) -> list[FleetChange]:
    """What changed across the fleet since `since`: per device whose config changed, the newest
    version before and after, and the diff's size. `backups` is the caller's scoped queryset."""
    changed = (
        backups.filter(status=BackupStatus.OK, changed=True, taken_at__gte=since)
        .order_by("device_id", "-taken_at")
        .select_related("device")
    )
    per_device: dict = {}
    for backup in changed:
        entry = per_device.setdefault(backup.device_id, [backup, 0])
        entry[1] += 1
    out = []
    for device_id, (_, count) in list(per_device.items())[:limit]:
        after = (
            backups.filter(device_id=device_id, status=BackupStatus.OK)
            .select_related("device", "blob")
            .order_by("-taken_at")
            .first()
        )
        before = (
            backups.filter(device_id=device_id, status=BackupStatus.OK, taken_at__lt=since)
            .select_related("device", "blob")
            .order_by("-taken_at")
            .first()
        )
        if after is None or (before is not None and before.sha256 == after.sha256):
            continue  # changed and changed back
        added, removed = diff_stats(unified_diff(before, after, reveal_secrets=reveal_secrets))
        out.append(FleetChange(after.device, before, after, count, added, removed))
    out.sort(key=lambda c: c.after.taken_at, reverse=True)
    return out
