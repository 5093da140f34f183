"""Request and response shapes of the push preview."""

from __future__ import annotations

from rest_framework import serializers


class PreviewRequestSerializer(serializers.Serializer):
    devices = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=10000, help_text="Device ids."
    )
    site = serializers.CharField(required=False, max_length=64, help_text="A site id: every device of it.")
    all = serializers.BooleanField(required=False, default=False, help_text="Every device you may act on.")
    params = serializers.JSONField(
        help_text='The push parameters, as for POST jobs/ with kind "push": `script` or `template` '
        "(+ `variables`), `rollback_s`, `ping`."
    )

    def validate_params(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object.")
        return value


class SectionSerializer(serializers.Serializer):
    menu = serializers.CharField()
    current = serializers.CharField(help_text="The menu's lines in the latest backup.")


class DevicePreviewSerializer(serializers.Serializer):
    device_id = serializers.CharField()
    device_name = serializers.CharField()
    script = serializers.CharField(help_text="What this device gets.")
    error = serializers.CharField(help_text="Why the template fails for this device (empty when it renders).")
    backup_id = serializers.CharField()
    backup_taken_at = serializers.DateTimeField(allow_null=True)
    sections = SectionSerializer(many=True)


class PreviewSerializer(serializers.Serializer):
    summary = serializers.CharField()
    dangerous_reason = serializers.CharField()
    total_devices = serializers.IntegerField()
    devices = DevicePreviewSerializer(many=True, help_text="At most 50.")
    note = serializers.CharField()
