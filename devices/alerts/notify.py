"""Notifications: which channels get an alert, what they are sent, and one delivery attempt.

A `Delivery` row per channel and event is written in the evaluation's transaction; the
`alerts.deliver` task sends it after commit. A failed attempt (no answer, or a status ≥ 300) is
retried ALERTS_DELIVERY_ATTEMPTS times in all, ALERTS_RETRY_BASE_S × 2^n apart; each attempt's
code is appended to `Delivery.codes` (0 = no answer). Messages carry this tenant's alert, its
device's name and site — never a credential, and errors are stored without the channel's URL.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from devices.models import Alert, Delivery, NotificationChannel
from devices.models.alerts import SEVERITY_RANK, DeliveryState

from .channels import Message, sender_for

log = logging.getLogger("devices.alerts")


def queue_deliveries(alert: Alert, event: str, channels: list | None = None) -> list[str]:
    """Delivery rows for every enabled channel that wants this alert's severity (and, for a
    resolution, resolutions). Returns their ids (send them with `send_on_commit`). `channels`:
    the tenant's enabled channels when the caller already has them."""
    rank = SEVERITY_RANK[alert.severity]
    rows = []
    if channels is None:
        channels = enabled_channels()
    for channel in channels:
        if SEVERITY_RANK[channel.min_severity] > rank:
            continue
        if event == "resolved" and not channel.notify_resolved:
            continue
        rows.append(Delivery(tenant_id=alert.tenant_id, channel=channel, alert=alert, event=event))
    Delivery.objects.bulk_create(rows)
    return [str(row.pk) for row in rows]


def queue_deliveries_many(alerts: list[Alert], event: str, channels: list) -> list[str]:
    """`queue_deliveries` for many alerts: one INSERT."""
    rows = []
    for alert in alerts:
        rank = SEVERITY_RANK[alert.severity]
        for channel in channels:
            if SEVERITY_RANK[channel.min_severity] > rank:
                continue
            if event == "resolved" and not channel.notify_resolved:
                continue
            rows.append(Delivery(tenant_id=alert.tenant_id, channel=channel, alert=alert, event=event))
    if rows:
        Delivery.objects.bulk_create(rows)
    return [str(row.pk) for row in rows]


def enabled_channels() -> list[NotificationChannel]:
    return list(NotificationChannel.objects.filter(enabled=True))


def send_on_commit(tenant_id: str, delivery_ids: list[str], countdown: float = 0) -> None:
    if not delivery_ids:
        return
    from .tasks import deliver

    def enqueue():
        for delivery_id in delivery_ids:
            deliver.apply_async((str(tenant_id), delivery_id), countdown=countdown or None)

    transaction.on_commit(enqueue)


def message_for(delivery: Delivery) -> Message:
    tenant = delivery.tenant
    alert = delivery.alert
    if alert is None:
        return Message(
            event="test",
            tenant_slug=tenant.slug,
            tenant_name=tenant.name,
            title=f"[mikman] Test notification for {delivery.channel.name}",
            text=f"This is a test notification of the channel “{delivery.channel.name}” of {tenant.name}.",
            alert=None,
            delivery_id=str(delivery.pk),
        )
    device = alert.device
    data = {
        "id": str(alert.pk),
        "rule": alert.rule.name,
        "kind": alert.kind,
        "severity": alert.severity,
        "state": alert.state,
        "subject": alert.subject,
        "value": alert.value,
        "threshold": alert.threshold,
        "message": alert.message,
        "started_at": alert.started_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by_id else None,
        "flaps": alert.flaps,
        "device": {"id": str(device.pk), "name": device.name, "site": device.site.name if device.site_id else None},
    }
    word = "RESOLVED" if delivery.event == "resolved" else "FIRING"
    return Message(
        event=delivery.event,
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        title=f"[mikman] {word} {alert.severity}: {alert.rule.name} on {device.name}",
        text=alert.message if delivery.event == "firing" else f"Resolved: {alert.message}",
        alert=data,
        delivery_id=str(delivery.pk),
    )


def attempt(delivery_id: str) -> float | None:
    """One attempt of a pending delivery (inside the tenant's context). Returns the delay of
    the next attempt, or None when it is finished (sent, failed for good, or not pending)."""
    delivery = (
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("channel", "alert__rule", "alert__device__site", "alert__acknowledged_by", "tenant")
        .filter(pk=delivery_id, state=DeliveryState.PENDING)
        .first()
    )
    if delivery is None:
        return None
    channel = delivery.channel
    try:
        result = sender_for(channel.kind)(channel, message_for(delivery))
    except Exception as exc:  # noqa: BLE001 - a broken channel is a failed attempt, not a crashed worker
        log.warning("delivery %s to channel %s failed: %s", delivery.pk, channel.pk, type(exc).__name__)
        from .channels import Result

        result = Result(False, 0, f"{type(exc).__name__}")
    delivery.attempts += 1
    delivery.codes = [*delivery.codes, result.code]
    delivery.last_error = "" if result.ok else result.error[:500]
    retry = None
    if result.ok:
        delivery.state, delivery.finished = DeliveryState.SENT, datetime.now(UTC)
    elif delivery.attempts >= settings.ALERTS_DELIVERY_ATTEMPTS:
        delivery.state, delivery.finished = DeliveryState.FAILED, datetime.now(UTC)
    else:
        retry = settings.ALERTS_RETRY_BASE_S * 2 ** (delivery.attempts - 1)
    delivery.save(update_fields=["attempts", "codes", "last_error", "state", "finished"])
    return retry


def queue_test(channel: NotificationChannel) -> Delivery:
    delivery = Delivery.objects.create(tenant_id=channel.tenant_id, channel=channel, event="test")
    send_on_commit(channel.tenant_id, [str(delivery.pk)])
    return delivery
