"""What a push would send, per device — before anything is sent.

Honest about what it is: the rendered script for each device, next to the *current* sections of
the menus the script touches, taken from the device's latest good backup. It does not simulate
RouterOS (no "after" config is invented); the real before/after diff is the post-push backup,
which the push takes and the device's Backups timeline shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from devices.models import BackupStatus, ConfigBackup

MAX_PREVIEW_DEVICES = 50


@dataclass
class Section:
    menu: str  # "/ip firewall address-list"
    current: str  # its lines in the latest backup ("" when the menu is not in the export)


@dataclass
class DevicePreview:
    device_id: str
    device_name: str
    script: str = ""
    error: str = ""
    backup_id: str = ""
    backup_taken_at: object = None
    sections: list[Section] = field(default_factory=list)


@dataclass
class PushPreview:
    summary: str
    dangerous_reason: str
    total_devices: int
    devices: list[DevicePreview]
    note: str = (
        "Preview: the script each device gets, and the current lines of the menus it touches from "
        "the device's latest backup. Nothing is simulated; after the push, the device's backup timeline "
        "shows the real diff."
    )


def preview_push(access, *, params: dict, devices=None, site=None, all_devices: bool = False) -> PushPreview:
    """Validate like a real push (role, parameters, template; ValidationError / PermissionDenied)
    and render per device; a device whose rendering fails carries the error instead."""
    from devices.backups.services import backup_text
    from devices.jobs import push_kind
    from devices.jobs.runner import choose_devices

    prepared = push_kind.prepare(params or {}, access)
    chosen = choose_devices(access, devices, site, all_devices)
    out = []
    for device in chosen[:MAX_PREVIEW_DEVICES]:
        item = DevicePreview(str(device.pk), device.name)
        try:
            item.script = push_kind.script_for(prepared.params, device)
        except ValidationError as exc:
            item.error = "; ".join(exc.messages)
        backup = (
            ConfigBackup.objects.filter(device=device, status=BackupStatus.OK)
            .select_related("blob")
            .order_by("-taken_at")
            .first()
        )
        if backup is not None:
            item.backup_id, item.backup_taken_at = str(backup.pk), backup.taken_at
            if item.script:
                item.sections = sections_touched(item.script, backup_text(backup))
        out.append(item)
    return PushPreview(prepared.summary, prepared.dangerous_reason, len(chosen), out)


def export_sections(export: str) -> dict[str, list[str]]:
    """Menu header → its lines, from an export (continuation lines joined as they are)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in export.split("\n"):
        if line.startswith("/"):
            current = sections.setdefault(line.strip(), [])
        elif current is not None and line.strip() and not line.startswith("#"):
            current.append(line)
    return sections


def sections_touched(script: str, export: str) -> list[Section]:
    """The export's sections for the menus the script's lines name (longest matching header)."""
    sections = export_sections(export)
    headers = sorted(sections, key=len, reverse=True)
    found: list[Section] = []
    seen: set[str] = set()
    for line in script.split("\n"):
        tokens = line.strip().split()
        if not tokens or not tokens[0].startswith("/"):
            continue
        words: list[str] = []
        for token in tokens:
            if "=" in token or token.startswith(("[", ":", "$", '"')):
                break
            words.extend(part for part in token.split("/") if part)
        menu = "/" + " ".join(words)
        header = next((h for h in headers if menu == h or menu.startswith(h + " ")), None)
        key = header or " ".join(["/" + " ".join(words[:-1])] if len(words) > 1 else [menu])
        if key in seen:
            continue
        seen.add(key)
        found.append(Section(key, "\n".join(sections.get(header, [])) if header else ""))
    return found
