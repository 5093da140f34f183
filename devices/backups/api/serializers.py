"""Serializers of the backup API. Never a config's text in lists; never a secret."""

from __future__ import annotations

from rest_framework import serializers

from devices.models import BackupPolicy, ConfigBackup


class ConfigBackupSerializer(serializers.ModelSerializer):
    device_name = serializers.CharField(source="device.name", read_only=True)
    triggered_by = serializers.CharField(source="triggered_by.username", read_only=True, default=None)

    class Meta:
        model = ConfigBackup
        fields = [
            "id",
            "device",
            "device_name",
            "taken_at",
            "ros_version",
            "trigger",
            "triggered_by",
            "status",
            "outcome",
            "reason",
            "size",
            "sha256",
            "changed",
            "sensitive",
            "duration_ms",
        ]
        read_only_fields = fields


class BackupRequestSerializer(serializers.Serializer):
    device = serializers.UUIDField(help_text="The device to back up now.")


class BackupQueuedSerializer(serializers.Serializer):
    device = serializers.UUIDField()
    queued = serializers.BooleanField()


class DiffSerializer(serializers.Serializer):
    old = serializers.UUIDField(allow_null=True, help_text="The version compared against (null: none before).")
    new = serializers.UUIDField()
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    diff = serializers.CharField(help_text="Unified diff (empty when identical).")


class ContentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    masked = serializers.BooleanField(help_text="Secret values replaced by ******** (non-admins, sensitive versions).")
    text = serializers.CharField()


class FleetChangeSerializer(serializers.Serializer):
    device = serializers.UUIDField(source="device.id")
    device_name = serializers.CharField(source="device.name")
    before = serializers.UUIDField(source="before.id", allow_null=True, default=None)
    after = serializers.UUIDField(source="after.id")
    changed_at = serializers.DateTimeField(source="after.taken_at")
    versions = serializers.IntegerField()
    added = serializers.IntegerField()
    removed = serializers.IntegerField()


class BackupPolicySerializer(serializers.ModelSerializer):
    # null while the tenant runs on the defaults (nothing saved yet)
    id = serializers.UUIDField(read_only=True, allow_null=True)
    updated = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = BackupPolicy
        fields = [
            "id",
            "interval_hours",
            "show_sensitive",
            "keep_last",
            "keep_daily_days",
            "keep_all_changes",
            "git_mirror",
            "updated",
        ]
        read_only_fields = ["id", "updated"]
