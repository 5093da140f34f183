"""Rule kinds driven by events, not by poll samples: CVE exposure and firmware update (a device's
RouterOS version or the feeds changed), backup failed and config changed outside the platform (a
backup run was stored). Each evaluation looks only at the devices or runs the event names — and,
for a feed import, at each device's current version once — never at history; a verdict fires or
resolves at once (these kinds have no consecutive-sample counting: `duration` does not apply).

Other apps reach this through `services` hooks (versions_changed, feeds_changed, backups_stored),
which send the Celery tasks in tasks.py once their transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from devices.models import Alert, AlertRule, Device, RuleKind
from devices.models.alerts import OPEN_STATES

from . import lifecycle
from .conditions import DeviceData

VERSION_KINDS = (RuleKind.CVE, RuleKind.FIRMWARE_UPDATE)
BACKUP_KINDS = (RuleKind.BACKUP_FAILED, RuleKind.CONFIG_CHANGED)
EVENT_KINDS = frozenset((*VERSION_KINDS, *BACKUP_KINDS))
# job kinds whose run on a device explains a change of its configuration (h5a's "upgrade" too)
PLATFORM_CHANGE_JOBS = ("push", "restore", "command", "upgrade")
# a CVE without a CVSS score counts with its severity's lower bound
SEVERITY_SCORE = {"none": 0.0, "low": 0.1, "medium": 4.0, "high": 7.0, "critical": 9.0}


@dataclass(slots=True)
class Verdict:
    breached: bool
    value: float | None = None
    message: str = ""


def _rules(kinds) -> list[AlertRule]:
    return list(AlertRule.objects.filter(enabled=True, kind__in=kinds))


def _devices(device_ids=None) -> dict[str, DeviceData]:
    rows = Device.objects.filter(enabled=True)
    if device_ids is not None:
        rows = rows.filter(pk__in=list(device_ids))
    data = {}
    for pk, name, site_id, tags, status, version in rows.values_list(
        "id", "name", "site_id", "tags", "status", "ros_version"
    ):
        device = DeviceData(id=str(pk), name=name, site_id=str(site_id) if site_id else None, tags=tags, status=status)
        device.reason = version  # the RouterOS version, for the version kinds
        data[str(pk)] = device
    return data


def _updates(devices: dict[str, DeviceData]) -> dict[str, str | None]:
    """{device id: newer version or None}, as the upgrade planner sees it (the device's own
    channel and update check, else the release feed): devices.firmware.services."""
    from devices.firmware.services import available_update, feed_latest

    releases = feed_latest()
    rows = Device.objects.filter(pk__in=list(devices)).only("ros_version", "update_channel", "update_latest")
    return {str(row.pk): getattr(available_update(row, releases), "latest", None) for row in rows}


def apply(tenant_id: str, rules: list[AlertRule], devices: dict[str, DeviceData], verdicts) -> dict:
    """Fire or resolve rule × device by `verdicts(rule, device) -> Verdict | None` (None: no
    information, leave it as it is). Call inside the tenant's context. Returns counts."""
    if not rules or not devices:
        return {"fired": 0, "resolved": 0}
    open_alerts = {
        (str(rule_id), str(device_id)): str(pk)
        for pk, rule_id, device_id in Alert.objects.filter(
            rule__in=rules, device_id__in=list(devices), subject="", state__in=OPEN_STATES
        ).values_list("id", "rule_id", "device_id")
    }
    batch = lifecycle.Batch(tenant_id, datetime.now(UTC))
    to_fire, to_resolve = [], []
    for rule in rules:
        for device in devices.values():
            scoped = rule.sites or rule.tags or rule.devices
            if scoped and not rule.applies_to(device.id, device.site_id, device.tags):
                continue
            verdict = verdicts(rule, device)
            if verdict is None:
                continue
            alert_id = open_alerts.get((str(rule.pk), device.id))
            if verdict.breached and alert_id is None:
                to_fire.append((rule, device, "", verdict.value, verdict.message))
            elif not verdict.breached and alert_id is not None:
                to_resolve.append(alert_id)
    report = {"fired": lifecycle.fire_many(batch, to_fire), "resolved": lifecycle.resolve_many(batch, to_resolve)}
    batch.send()
    return report


# --- CVE exposure and firmware update -----------------------------------------------------------------
def evaluate_versions(tenant_id: str, device_ids=None) -> dict:
    """The version kinds on these devices (None: all the tenant's, after a feed import)."""
    rules = _rules(VERSION_KINDS)
    if not rules:
        return {"fired": 0, "resolved": 0}
    devices = _devices(device_ids)
    from devices.feeds.services import cves_for_version
    from devices.models.feeds import Vulnerability

    vulnerabilities = list(Vulnerability.objects.all()) if any(r.kind == RuleKind.CVE for r in rules) else []
    exposure: dict[str, list] = {}  # version -> matches, once per distinct version
    updates = _updates(devices) if any(r.kind == RuleKind.FIRMWARE_UPDATE for r in rules) else {}

    def verdicts(rule: AlertRule, device: DeviceData) -> Verdict | None:
        version = device.reason
        if not version:
            return None  # not polled yet: nothing known
        if rule.kind == RuleKind.FIRMWARE_UPDATE:
            newer = updates.get(device.id)
            return Verdict(bool(newer), None, f"{device.name} runs RouterOS {version}: {newer} is available")
        if version not in exposure:
            exposure[version] = cves_for_version(version, vulnerabilities)
        minimum = rule.threshold if rule.threshold is not None else 0.0
        hits = [m.cve for m in exposure[version] if _score(m.cve) >= minimum]
        if not hits:
            return Verdict(False)
        worst = max(hits, key=_score)
        ids = ", ".join(c.cve_id for c in hits[:3]) + (f" and {len(hits) - 3} more" if len(hits) > 3 else "")
        return Verdict(True, _score(worst), f"{device.name} runs RouterOS {version}, exposed to {ids}")

    return apply(tenant_id, rules, devices, verdicts)


def _score(cve) -> float:
    return float(cve.score) if cve.score is not None else SEVERITY_SCORE.get(cve.severity, 0.0)


# --- backups -----------------------------------------------------------------------------------------
def evaluate_backups(tenant_id: str, backup_ids: list[str]) -> dict:
    """Backup failed (a failed run fires, the next good run resolves) and config changed outside
    the platform (a good run whose version differs from the device's previous good one, with no
    push, restore, command or upgrade job run on the device in between, fires; the next good run
    that brings no such change resolves) — on the device's newest of these runs."""
    from devices.models import ConfigBackup, JobDevice
    from devices.models.backups import BackupStatus

    rules = _rules(BACKUP_KINDS)
    if not rules or not backup_ids:
        return {"fired": 0, "resolved": 0}
    newest: dict[str, ConfigBackup] = {}
    for run in ConfigBackup.objects.filter(pk__in=backup_ids).order_by("taken_at"):
        newest[str(run.device_id)] = run
    devices = _devices(newest)
    unexplained: dict[str, bool] = {}
    if any(r.kind == RuleKind.CONFIG_CHANGED for r in rules):
        for device_id, run in newest.items():
            if run.status != BackupStatus.OK or not run.changed:
                continue
            previous = (
                ConfigBackup.objects.filter(device_id=device_id, status=BackupStatus.OK, taken_at__lt=run.taken_at)
                .order_by("-taken_at")
                .values_list("taken_at", flat=True)
                .first()
            )
            if previous is None:
                continue  # the device's first version: nothing to differ from
            explained = JobDevice.objects.filter(
                device_id=device_id,
                job__kind__in=PLATFORM_CHANGE_JOBS,
                state="succeeded",
                finished__gte=previous,
                started__lte=run.taken_at,
            ).exists()
            unexplained[device_id] = not explained

    def verdicts(rule: AlertRule, device: DeviceData) -> Verdict | None:
        run = newest[device.id]
        ok = run.status == BackupStatus.OK
        if rule.kind == RuleKind.BACKUP_FAILED:
            return Verdict(not ok, None, "" if ok else f"backup of {device.name} failed: {run.reason or run.outcome}")
        if not ok:
            return None  # a failed run says nothing about the configuration
        if unexplained.get(device.id):
            return Verdict(True, None, f"the configuration of {device.name} changed outside the platform")
        return Verdict(False)

    return apply(tenant_id, rules, devices, verdicts)
