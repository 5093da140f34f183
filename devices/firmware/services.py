"""Firmware verbs other apps may call (names kept stable: the alerts app reads
`available_update`).

- `available_update(device)`: the newer RouterOS the device could go to on its channel, or None
  (up to date, or nothing known). The channel and latest version come from what the device said
  when it last checked for updates (an upgrade job asks it), else the feed's per-channel latest
  for the device's major version (channel "stable" until the device told us otherwise).
- `in_maintenance_window(device)`: is now inside a maintenance window covering the device
  (tenant-wide, its site, or the device itself)? Read in the tenant's context.
- `next_window_opening(device, after)`: when the next maintenance window covering the device opens
  after `after` (None: none ahead) — an upgrade "only inside windows" holds a device until then.
- `plan_waves(devices, canary, batch)`: the canary wave, then waves of `batch` devices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from devices.feeds.versions import parse

DEFAULT_CHANNEL = "stable"
CHANNELS = ("stable", "long-term", "testing", "development")


@dataclass(frozen=True, slots=True)
class AvailableUpdate:
    installed: str
    latest: str
    channel: str
    source: str  # "device": the device's own check-for-updates; "feed": the release feed


def channel_of(device) -> str:
    return device.update_channel if device.update_channel in CHANNELS else DEFAULT_CHANNEL


def feed_latest() -> dict[tuple[int, str], str]:
    """{(major, channel): version} from the release feed (one query; pass it to
    `available_update` when looking at many devices)."""
    from devices.models import RouterOSRelease

    return {(r.major, r.channel): r.version for r in RouterOSRelease.objects.all()}


def latest_for(device, releases: dict[tuple[int, str], str] | None = None) -> tuple[str, str]:
    """(latest version, source) for the device's channel; ("", "") when unknown."""
    installed = parse(device.ros_version)
    if device.update_latest and parse(device.update_latest) is not None:
        return device.update_latest, "device"  # the device's own word beats the feed
    if installed is None:
        return "", ""
    releases = feed_latest() if releases is None else releases
    latest = releases.get((installed.key[0], channel_of(device)), "")
    return (latest, "feed") if latest else ("", "")


def available_update(device, releases: dict[tuple[int, str], str] | None = None) -> AvailableUpdate | None:
    """The update the device could install, or None when it is up to date or nothing is known."""
    installed = parse(device.ros_version)
    latest_text, source = latest_for(device, releases)
    latest = parse(latest_text)
    if installed is None or latest is None or latest <= installed:
        return None
    return AvailableUpdate(device.ros_version, latest_text, channel_of(device), source)


def in_maintenance_window(device, at: datetime | None = None, windows: list | None = None) -> bool:
    """`windows`: the tenant's windows, when asking for many devices (one query)."""
    from devices.models import MaintenanceWindow

    at = at or timezone.now()
    site_id = str(device.site_id) if device.site_id else None
    if windows is None:
        windows = list(MaintenanceWindow.objects.filter(tenant_id=device.tenant_id))
    return any(w.covers(str(device.pk), site_id) and w.active_at(at) for w in windows)


def next_window_opening(device, after: datetime | None = None, windows: list | None = None) -> datetime | None:
    """The earliest start of a covering window at or after `after` (weekly: within the next 8
    days; one-off: its start). A window already open at `after` does not count: ask
    `in_maintenance_window` first."""
    from devices.models import MaintenanceWindow

    after = (after or timezone.now()).astimezone(UTC)
    site_id = str(device.site_id) if device.site_id else None
    if windows is None:
        windows = list(MaintenanceWindow.objects.filter(tenant_id=device.tenant_id))
    starts = []
    for w in windows:
        if not w.covers(str(device.pk), site_id):
            continue
        if w.kind == "once":
            if w.starts_at and w.ends_at and w.starts_at < w.ends_at and w.starts_at >= after:
                starts.append(w.starts_at)
        elif w.start_time is not None and w.duration_minutes and w.weekdays:
            for ahead in range(9):
                day = (after + timedelta(days=ahead)).date()
                begin = datetime.combine(day, w.start_time, tzinfo=after.tzinfo)
                if day.weekday() in w.weekdays and begin >= after:
                    starts.append(begin)
                    break
    return min(starts, default=None)


def plan_waves(devices: Sequence, canary: int, batch: int) -> list[list]:
    """Canary wave first (when canary > 0), then waves of `batch`, in the given order."""
    items = list(devices)
    waves = [items[:canary]] if canary > 0 and items else []
    rest = items[canary:] if canary > 0 else items
    waves += [rest[i : i + batch] for i in range(0, len(rest), max(1, batch))]
    return [w for w in waves if w]


def record_check(device, channel: str, latest: str, installed: str) -> None:
    """Remember what the device said on check-for-updates (tenant context)."""
    from devices.models import Device

    Device.objects.filter(pk=device.pk).update(
        update_channel=channel[:12],
        update_latest=latest[:50],
        update_checked=timezone.now(),
        ros_version=installed[:50] or device.ros_version,
    )


@dataclass(frozen=True, slots=True)
class PlannedDevice:
    id: str
    name: str
    site: str
    installed: str
    target: str  # "" when nothing newer is known (the device is checked anyway)
    channel: str
    in_window: bool | None  # None: windows do not matter for this plan
    opens: datetime | None = None  # outside its windows: when the next one opens (None: none ahead)


def devices_for(access, *, devices=None, site=None, tag: str = "", all_devices: bool = False) -> list:
    """The devices an upgrade over this selection would touch (the runner's own choice rules:
    ids, a site or all, among those the user may operate; `tag` narrows the choice)."""
    from django.core.exceptions import ValidationError

    from devices.jobs.runner import choose_devices

    if tag and not (devices or site):
        all_devices = True
    chosen = choose_devices(access, devices, site, all_devices)
    if tag:
        from devices.models import Device

        tagged = Device.objects.filter(pk__in=[d.pk for d in chosen], tags__contains=[tag])
        tagged = set(tagged.values_list("pk", flat=True))
        chosen = [d for d in chosen if d.pk in tagged]
        if not chosen:
            raise ValidationError({"tag": f"No device of this selection has the tag {tag!r}."})
    return chosen


def plan_upgrade(access, chosen: list, params: dict) -> list[list[PlannedDevice]]:
    """The waves an upgrade job with these (prepared) parameters would run, with each device's
    installed and target version — what the planner previews before the admin confirms."""
    from devices.models import Device, MaintenanceWindow

    releases = feed_latest()
    windows = list(MaintenanceWindow.objects.filter(tenant_id=access.tenant.id))
    full = {d.pk: d for d in Device.objects.filter(pk__in=[d.pk for d in chosen]).select_related("site")}
    ordered = sorted((full[d.pk] for d in chosen if d.pk in full), key=lambda d: (d.name, str(d.pk)))
    planned = []
    now = timezone.now()
    for device in ordered:
        update = available_update(device, releases)
        in_window = in_maintenance_window(device, now, windows) if params.get("only_in_window") else None
        planned.append(
            PlannedDevice(
                id=str(device.pk),
                name=device.name,
                site=device.site.name if device.site_id else "",
                installed=device.ros_version,
                target=update.latest if update else "",
                channel=params.get("channel") or channel_of(device),
                in_window=in_window,
                opens=next_window_opening(device, now, windows) if in_window is False else None,
            )
        )
    return plan_waves(planned, int(params.get("canary", 1)), int(params.get("batch_size", 10)))
