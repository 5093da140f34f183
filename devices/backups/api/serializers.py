"""Serializers of the backup API. Never a config's text in lists; never a secret."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devices.backups.services import binary_of
from devices.models import BackupPolicy, BinaryBackup, ConfigBackup


class BinaryBackupSerializer(serializers.ModelSerializer):
    """The run's binary `.backup` artefact: never its bytes (admins download them at /binary/)."""

    class Meta:
        model = BinaryBackup
        fields = ["status", "outcome", "reason", "name", "size", "sha256", "password_protected"]
        read_only_fields = fields


class ConfigBackupSerializer(serializers.ModelSerializer):
    device_name = serializers.CharField(source="device.name", read_only=True)
    triggered_by = serializers.CharField(source="triggered_by.username", read_only=True, default=None)
    binary = serializers.SerializerMethodField(help_text="The binary backup of this run (null: none taken).")

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
            "binary",
        ]
        read_only_fields = fields

    @extend_schema_field(BinaryBackupSerializer(allow_null=True))
    def get_binary(self, obj):
        binary = binary_of(obj)
        return BinaryBackupSerializer(binary).data if binary is not None else None


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
    binary_password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=64,
        trim_whitespace=False,
        help_text='Password RouterOS encrypts the binary .backup with (write-only; "" removes it; none: '
        "dont-encrypt=yes).",
    )
    binary_password_set = serializers.SerializerMethodField()

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
            "binary_backup",
            "binary_password",
            "binary_password_set",
            "updated",
        ]
        read_only_fields = ["id", "updated"]

    def get_binary_password_set(self, obj) -> bool:
        return obj.binary_password is not None

    def validate_binary_password(self, value):
        from django.core.exceptions import ValidationError

        from devices.backups.services import clean_binary_password

        try:
            return clean_binary_password(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
