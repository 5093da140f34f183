"""Shapes of the alerting API. Channel URLs and secrets are write-only ("url_set": true/false)."""

from __future__ import annotations

from rest_framework import serializers

from devices.models import Alert, AlertRule, Delivery, Device, MaintenanceWindow, NotificationChannel
from devices.models.alerts import KIND_NEEDS
from tenants.models import Site


class AlertRuleSerializer(serializers.ModelSerializer):
    sites = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=200)
    devices = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=1000)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=50)
    available = serializers.SerializerMethodField()

    class Meta:
        model = AlertRule
        fields = [
            "id",
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
            "is_default",
            "available",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "is_default", "created", "updated"]

    def get_available(self, rule) -> str:
        """ "yes", or why the kind cannot be evaluated yet."""
        return KIND_NEEDS.get(rule.kind, "yes")


class AlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    device_name = serializers.CharField(source="device.name", read_only=True)
    site = serializers.SlugRelatedField(source="device.site", slug_field="slug", read_only=True, allow_null=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_name",
            "device",
            "device_name",
            "site",
            "subject",
            "kind",
            "severity",
            "state",
            "message",
            "value",
            "threshold",
            "started_at",
            "last_breach_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "suppressed",
            "flaps",
        ]
        read_only_fields = fields


def _secret(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=2048, trim_whitespace=False, help_text=help_text
    )


class NotificationChannelSerializer(serializers.ModelSerializer):
    recipients = serializers.ListField(child=serializers.EmailField(), required=False, max_length=50)
    url = _secret("Webhook / Slack / ntfy URL. Write-only; an empty string removes it.")
    secret = _secret("Webhook signing secret or ntfy token. Write-only; an empty string removes it.")
    url_set = serializers.SerializerMethodField()
    secret_set = serializers.SerializerMethodField()

    class Meta:
        model = NotificationChannel
        fields = [
            "id",
            "name",
            "kind",
            "enabled",
            "min_severity",
            "notify_resolved",
            "recipients",
            "url",
            "secret",
            "url_set",
            "secret_set",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "created", "updated"]

    def get_url_set(self, channel) -> bool:
        return channel.url is not None

    def get_secret_set(self, channel) -> bool:
        return channel.secret is not None

    def split(self) -> tuple[dict, dict]:
        data = dict(self.validated_data)
        secrets = {name: data.pop(name) for name in ("url", "secret") if name in data}
        return data, secrets


class DeliverySerializer(serializers.ModelSerializer):
    channel_name = serializers.CharField(source="channel.name", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "channel_name",
            "alert",
            "event",
            "state",
            "attempts",
            "codes",
            "last_error",
            "created",
            "finished",
        ]
        read_only_fields = fields


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    device = serializers.PrimaryKeyRelatedField(queryset=Device.objects.all(), required=False, allow_null=True)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False, max_length=7
    )
    active_now = serializers.SerializerMethodField()

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "name",
            "site",
            "device",
            "kind",
            "starts_at",
            "ends_at",
            "weekdays",
            "start_time",
            "duration_minutes",
            "active_now",
            "created",
        ]
        read_only_fields = ["id", "created"]

    def get_active_now(self, window) -> bool:
        from django.utils import timezone

        return window.active_at(timezone.now())
