from __future__ import annotations

from rest_framework import serializers

from devices.models.feeds import FeedState, RouterOSRelease, Vulnerability


class VulnerabilitySerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True)

    class Meta:
        model = Vulnerability
        fields = ["cve_id", "severity", "score", "published", "summary", "ranges", "fixed_in", "url"]


class MatchSerializer(serializers.Serializer):
    cve_id = serializers.CharField(source="cve.cve_id")
    severity = serializers.CharField(source="cve.severity")
    score = serializers.DecimalField(source="cve.score", max_digits=3, decimal_places=1, allow_null=True)
    fixed_in = serializers.CharField(help_text="The first version outside the range this device falls in.")
    url = serializers.CharField(source="cve.url")


class DeviceExposureSerializer(serializers.Serializer):
    """One device's exposure: its version, the CVEs that apply (most severe first), the version
    that fixes all of them and whether a newer release is on its stable channel."""

    id = serializers.UUIDField(source="device.id")
    name = serializers.CharField(source="device.name")
    site = serializers.CharField(source="device.site.name", default=None)
    ros_version = serializers.CharField(source="device.ros_version")
    worst_severity = serializers.CharField(allow_null=True)
    fix_version = serializers.CharField(allow_blank=True)
    latest_stable = serializers.CharField(allow_blank=True)
    cves = MatchSerializer(many=True, source="matches")


class ReleaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = RouterOSRelease
        fields = ["major", "channel", "version", "released"]


class FeedStateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeedState
        fields = ["name", "source", "last_attempt", "last_success", "last_error", "items"]
