"""The verbs of alerting — the only entry points for other apps, the API and the UI.

Each checks the role (`access`: tenants.access.TenantAccess) and records management actions in
the audit log (details never hold a channel's URL or secret). Refusals: PermissionDenied (403),
ValidationError with a field dict (400).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from audit.services import record
from devices.keyring import encrypt_secret
from devices.models import Alert, AlertRule, Device, MaintenanceWindow, NotificationChannel
from devices.models.alerts import (
    CHANNEL_SECRET_PURPOSES,
    KIND_NEEDS,
    OPEN_STATES,
    OPTIONAL_THRESHOLD_KINDS,
    THRESHOLDLESS_KINDS,
    ChannelKind,
    Delivery,
    RuleKind,
    WindowKind,
)
from tenants.context import current_tenant_id, tenant_context
from tenants.models import Site
from tenants.roles import Action

from . import lifecycle, notify
from .defaults import create_default_rules as _create_defaults

RULE_FIELDS = (
    "name",
    "kind",
    "threshold",
    "duration",
    "clear_after",
    "severity",
    "enabled",
    "interface",
    "sites",
    "tags",
    "devices",
)
CHANNEL_FIELDS = ("name", "kind", "enabled", "min_severity", "notify_resolved", "recipients")
WINDOW_FIELDS = ("name", "site", "device", "kind", "starts_at", "ends_at", "weekdays", "start_time", "duration_minutes")


def _require(access, action: Action) -> None:
    if access is None or not access.allows(action):
        raise PermissionDenied(f"Your role may not {action.replace('_', ' ')}.")


# --- hooks for other apps ----------------------------------------------------------------------------
def poll_batch_stored(tenant_id: str, results: Sequence) -> None:
    """The poll writer stored a batch (inside the tenant's transaction): evaluate the batch's
    devices once it commits. `results` are devices.polling PollResults (device_id, finished)."""
    if not results:
        return
    from .tasks import evaluate

    device_ids = [str(r.device_id) for r in results]
    since = min(r.finished for r in results) - 0.001  # samples are stamped with `finished`

    def send():
        evaluate.apply_async((str(tenant_id), device_ids, since))

    if connection.in_atomic_block:
        transaction.on_commit(send)
    else:
        send()


def _on_commit(send) -> None:
    if connection.in_atomic_block:
        transaction.on_commit(send)
    else:
        send()


def versions_changed(tenant_id: str, device_ids: list[str] | None) -> None:
    """Devices' RouterOS versions changed (the poll writer), or the tenant's version rules did
    (None: all its devices): CVE exposure and firmware-update rules are judged once it commits."""
    from .tasks import evaluate_versions

    _on_commit(lambda: evaluate_versions.delay(str(tenant_id), device_ids))


def feeds_changed() -> None:
    """A feed import changed the CVE or release data (platform-wide): every tenant's devices are
    judged again, each tenant in its own task and RLS context."""
    from .tasks import feeds_changed as task

    _on_commit(task.delay)


def backups_stored(tenant_id: str, backup_ids: list[str]) -> None:
    """Backup runs were stored (devices/backups): backup-failed and config-changed rules are
    judged on them once they commit."""
    if not backup_ids:
        return
    from .tasks import evaluate_backups

    ids = [str(i) for i in backup_ids]
    _on_commit(lambda: evaluate_backups.delay(str(tenant_id), ids))


def create_default_rules(tenant) -> int:
    """The default rules of a (new) tenant: offline, CPU, memory, disk, wireless signal."""
    if current_tenant_id() == tenant.pk:
        return _create_defaults(tenant.pk)
    with tenant_context(tenant.pk):
        return _create_defaults(tenant.pk)


def forget_tenant(tenant) -> None:
    """Delete a tenant's alerting rows (in its own context) and counters: called as the tenant
    is being deleted."""
    from . import state

    with tenant_context(tenant.pk):
        for model in (Delivery, Alert, MaintenanceWindow, NotificationChannel, AlertRule):
            model.objects.filter(tenant_id=tenant.pk).delete()
    try:
        state.forget(str(tenant.pk))
    except Exception:  # noqa: BLE001 - Redis down: the counters are only progress, never alerts
        import logging

        logging.getLogger("devices.alerts").warning("alert counters of deleted tenant %s kept in Redis", tenant.pk)


# --- alerts ------------------------------------------------------------------------------------------
def acknowledge(access, alert: Alert) -> Alert:
    _require(access, Action.OPERATE)
    if not lifecycle.acknowledge(alert, access.user, timezone.now()):
        raise ValidationError({"state": f"Only a firing alert can be acknowledged (this one is {alert.state})."})
    record(
        "alert.acknowledged", user=access.user, tenant=access.tenant, target=alert, details={"rule": alert.rule.name}
    )
    alert.refresh_from_db()
    return alert


def alert_counts(access) -> dict:
    """Open alerts by state and severity, in the user's scope (the dashboard card)."""
    from tenants.roles import Action as A

    rows = (
        Alert.objects.restrict(access, A.VIEW)
        .filter(state__in=OPEN_STATES)
        .values("state", "severity")
        .annotate(n=Count("id"))
    )
    counts = {"firing": 0, "acknowledged": 0, "critical": 0, "warning": 0, "info": 0, "open": 0}
    for row in rows:
        counts[row["state"]] += row["n"]
        counts[row["severity"]] += row["n"]
        counts["open"] += row["n"]
    return counts


# --- rules -------------------------------------------------------------------------------------------
def _validate_rule(access, rule: AlertRule) -> None:
    errors = {}
    if rule.kind in KIND_NEEDS:
        errors["kind"] = f"“{rule.get_kind_display()}” {KIND_NEEDS[rule.kind]}."
    elif rule.kind not in THRESHOLDLESS_KINDS | OPTIONAL_THRESHOLD_KINDS and rule.threshold is None:
        errors["threshold"] = "This kind of rule needs a threshold."
    elif rule.kind == RuleKind.CVE and rule.threshold is not None and not 0 <= rule.threshold <= 10:
        errors["threshold"] = "A CVE rule's threshold is a CVSS score from 0 to 10 (empty: any CVE)."
    if rule.sites:
        known = set(Site.objects.filter(tenant=access.tenant, pk__in=rule.sites).values_list("pk", flat=True))
        if set(rule.sites) - known:
            errors["sites"] = "Unknown site."
    if rule.devices:
        known = set(Device.objects.filter(pk__in=rule.devices).values_list("pk", flat=True))
        if set(rule.devices) - known:
            errors["devices"] = "Unknown device."
    if errors:
        raise ValidationError(errors)


def save_rule(access, rule: AlertRule | None, data: dict) -> AlertRule:
    _require(access, Action.MANAGE_ALERTS)
    created = rule is None
    rule = rule or AlertRule(tenant=access.tenant)
    before = {f: getattr(rule, f) for f in RULE_FIELDS} if not created else {}
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    if rule.kind in THRESHOLDLESS_KINDS:
        rule.threshold = None
    _validate_rule(access, rule)
    rule.full_clean(validate_unique=False, validate_constraints=False)
    if AlertRule.objects.filter(name=rule.name).exclude(pk=rule.pk).exists():
        raise ValidationError({"name": "A rule with this name exists."})
    rule.save()
    if not rule.enabled:
        lifecycle.resolve_rule_alerts(rule, timezone.now())
    elif rule.kind in (RuleKind.CVE, RuleKind.FIRMWARE_UPDATE):
        versions_changed(str(access.tenant.pk), None)  # judge the fleet's versions now, not at the next change
    changes = {f: str(getattr(rule, f)) for f in RULE_FIELDS if created or before.get(f) != getattr(rule, f)}
    record(
        "alert_rule.created" if created else "alert_rule.changed",
        user=access.user,
        tenant=access.tenant,
        target=rule,
        details=changes,
    )
    return rule


def delete_rule(access, rule: AlertRule) -> None:
    _require(access, Action.MANAGE_ALERTS)
    record("alert_rule.deleted", user=access.user, tenant=access.tenant, target=rule, details={"kind": rule.kind})
    rule.delete()


# --- channels ----------------------------------------------------------------------------------------
def _validate_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Enter an http:// or https:// URL."})


def save_channel(access, channel: NotificationChannel | None, data: dict, secrets: dict) -> NotificationChannel:
    """`secrets`: {"url": …, "secret": …}; a key left out keeps the stored value, "" clears it."""
    _require(access, Action.MANAGE_ALERTS)
    created = channel is None
    channel = channel or NotificationChannel(tenant=access.tenant)
    for name in CHANNEL_FIELDS:
        if name in data:
            setattr(channel, name, data[name])
    if secrets.get("url"):
        _validate_url(secrets["url"])
    for field, value in secrets.items():
        if value is None:
            continue
        setattr(
            channel,
            field,
            encrypt_secret(access.tenant.pk, CHANNEL_SECRET_PURPOSES[field], channel.pk, value) if value else None,
        )
    if channel.kind == ChannelKind.EMAIL and not channel.recipients:
        raise ValidationError({"recipients": "An e-mail channel needs at least one recipient."})
    if channel.kind != ChannelKind.EMAIL and channel.url is None:
        raise ValidationError({"url": "This kind of channel needs a URL."})
    channel.full_clean(validate_unique=False, validate_constraints=False, exclude=["url", "secret"])
    if NotificationChannel.objects.filter(name=channel.name).exclude(pk=channel.pk).exists():
        raise ValidationError({"name": "A channel with this name exists."})
    channel.save()
    details = {f: str(getattr(channel, f)) for f in CHANNEL_FIELDS}
    details.update({f"{f}_changed": True for f, v in secrets.items() if v is not None})
    record(
        "alert_channel.created" if created else "alert_channel.changed",
        user=access.user,
        tenant=access.tenant,
        target=channel,
        details=details,
    )
    return channel


def delete_channel(access, channel: NotificationChannel) -> None:
    _require(access, Action.MANAGE_ALERTS)
    record(
        "alert_channel.deleted", user=access.user, tenant=access.tenant, target=channel, details={"kind": channel.kind}
    )
    channel.delete()


def send_test(access, channel: NotificationChannel) -> Delivery:
    """Queue a test notification (the delivery log shows how it went)."""
    _require(access, Action.MANAGE_ALERTS)
    delivery = notify.queue_test(channel)
    record("alert_channel.tested", user=access.user, tenant=access.tenant, target=channel)
    return delivery


# --- maintenance windows -------------------------------------------------------------------------------
def save_window(access, window: MaintenanceWindow | None, data: dict) -> MaintenanceWindow:
    _require(access, Action.MANAGE_ALERTS)
    created = window is None
    window = window or MaintenanceWindow(tenant=access.tenant, created_by=access.user)
    for name in WINDOW_FIELDS:
        if name in data:
            setattr(window, name, data[name])
    errors = {}
    if window.kind == WindowKind.ONCE:
        if not window.starts_at or not window.ends_at:
            errors["ends_at"] = "A one-off window needs a start and an end."
        elif window.ends_at <= window.starts_at:
            errors["ends_at"] = "The end must be after the start."
    else:
        if not window.weekdays:
            errors["weekdays"] = "Pick at least one weekday (0 = Monday … 6 = Sunday)."
        elif any(d < 0 or d > 6 for d in window.weekdays):
            errors["weekdays"] = "Weekdays are 0 (Monday) … 6 (Sunday)."
        if window.start_time is None:
            errors["start_time"] = "A weekly window needs a start time."
        if not window.duration_minutes:
            errors["duration_minutes"] = "A weekly window needs a duration."
    if window.site_id and not Site.objects.filter(tenant=access.tenant, pk=window.site_id).exists():
        errors["site"] = "Unknown site."
    if window.device_id and not Device.objects.filter(pk=window.device_id).exists():
        errors["device"] = "Unknown device."
    if errors:
        raise ValidationError(errors)
    window.full_clean()
    window.save()
    record(
        "maintenance_window.created" if created else "maintenance_window.changed",
        user=access.user,
        tenant=access.tenant,
        target=window,
        details={f: str(getattr(window, f)) for f in WINDOW_FIELDS},
    )
    return window


def delete_window(access, window: MaintenanceWindow) -> None:
    _require(access, Action.MANAGE_ALERTS)
    record("maintenance_window.deleted", user=access.user, tenant=access.tenant, target=window)
    window.delete()
