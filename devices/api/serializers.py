"""Request and response shapes of the device inventory API.

Secrets are write-only: responses say only whether one is set and when/who changed credentials.
Validation lives here and in devices.forms helpers; writes go through devices.services.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devices import forms as device_forms
from devices.models import ConnectivityCheck, CredentialProfile, Device, DeviceEvent, Protocol
from devices.models.device import MIN_POLL_INTERVAL_S
from tenants.models import Site
from tenants.roles import Action

DEVICE_SECRETS = ("password", "snmp_community", "snmp_v3_auth_key", "snmp_v3_priv_key")


def _secret_field(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=4096,
        style={"input_type": "password"},
        help_text=help_text + " Write-only; an empty string removes it.",
    )


def _wrap(fn, value):
    from django import forms

    try:
        return fn(value)
    except forms.ValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class DeviceSerializer(serializers.ModelSerializer):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.none(), required=False, allow_null=True)
    site_slug = serializers.SlugRelatedField(source="site", slug_field="slug", read_only=True, allow_null=True)
    credential_profile = serializers.PrimaryKeyRelatedField(
        queryset=CredentialProfile.objects.none(), required=False, allow_null=True
    )
    credential_profile_name = serializers.SlugRelatedField(
        source="credential_profile", slug_field="name", read_only=True, allow_null=True
    )
    fallback_protocols = serializers.ListField(
        child=serializers.ChoiceField(choices=Protocol.choices), required=False, max_length=5
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=50)
    poll_interval_s = serializers.IntegerField(min_value=MIN_POLL_INTERVAL_S, max_value=86400, required=False)
    backup_interval_hours = serializers.IntegerField(
        min_value=0,
        max_value=24 * 30,
        required=False,
        allow_null=True,
        help_text="Hours between scheduled config backups of this device; null: the tenant's policy; 0: never.",
    )
    password = _secret_field("Per-device password (overrides the profile's).")
    snmp_community = _secret_field("SNMP v2c community.")
    snmp_v3_auth_key = _secret_field("SNMP v3 authentication key.")
    snmp_v3_priv_key = _secret_field("SNMP v3 privacy key.")
    password_set = serializers.SerializerMethodField()
    snmp_community_set = serializers.SerializerMethodField()
    snmp_v3_auth_key_set = serializers.SerializerMethodField()
    snmp_v3_priv_key_set = serializers.SerializerMethodField()
    credentials_changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    available_update = serializers.SerializerMethodField(
        help_text="The newer RouterOS on the device's channel (devices.firmware.services), or null."
    )

    class Meta:
        model = Device
        fields = [
            "id",
            "name",
            "host",
            "site",
            "site_slug",
            "protocol",
            "fallback_protocols",
            "api_port",
            "api_ssl_port",
            "ssh_port",
            "rest_port",
            "snmp_port",
            "tls_mode",
            "tls_ca_pem",
            "tls_fingerprint",
            "tags",
            "notes",
            "credential_profile",
            "credential_profile_name",
            "username",
            "password",
            "password_set",
            "snmp_version",
            "snmp_community",
            "snmp_community_set",
            "snmp_v3_user",
            "snmp_v3_auth_key",
            "snmp_v3_auth_key_set",
            "snmp_v3_priv_key",
            "snmp_v3_priv_key_set",
            "poll_interval_s",
            "backup_interval_hours",
            "next_backup_at",
            "enabled",
            "identity",
            "model",
            "serial",
            "architecture",
            "ros_version",
            "firmware",
            "update_channel",
            "update_latest",
            "available_update",
            "license_level",
            "uptime_s",
            "last_seen",
            "status",
            "status_reason",
            "status_changed",
            "auth_blocked",
            "backoff_until",
            "consecutive_failures",
            "credentials_changed",
            "credentials_changed_by",
            "created",
            "updated",
        ]
        read_only_fields = [
            "id",
            "identity",
            "model",
            "serial",
            "architecture",
            "ros_version",
            "firmware",
            "update_channel",
            "update_latest",
            "license_level",
            "uptime_s",
            "last_seen",
            "status",
            "status_reason",
            "status_changed",
            "auth_blocked",
            "backoff_until",
            "consecutive_failures",
            "credentials_changed",
            "next_backup_at",
            "created",
            "updated",
        ]
        extra_kwargs = {"tls_fingerprint": {"help_text": 'sha256 of the pinned certificate; set "" to re-pin.'}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        access = self.context.get("access")
        if access is not None:
            self.fields["site"].queryset = Site.objects.restrict(access, Action.VIEW_STRUCTURE)
            self.fields["credential_profile"].queryset = CredentialProfile.objects.filter(tenant=access.tenant)

    def _is_set(self, obj, name) -> bool:
        return getattr(obj, name) is not None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_available_update(self, obj) -> str | None:
        from devices.firmware.services import available_update, feed_latest

        if "firmware_releases" not in self.context:  # one feed read per response, not per device
            self.context["firmware_releases"] = feed_latest()
        update = available_update(obj, self.context["firmware_releases"])
        return update.latest if update else None

    @extend_schema_field(serializers.BooleanField)
    def get_password_set(self, obj) -> bool:
        return self._is_set(obj, "password")

    @extend_schema_field(serializers.BooleanField)
    def get_snmp_community_set(self, obj) -> bool:
        return self._is_set(obj, "snmp_community")

    @extend_schema_field(serializers.BooleanField)
    def get_snmp_v3_auth_key_set(self, obj) -> bool:
        return self._is_set(obj, "snmp_v3_auth_key")

    @extend_schema_field(serializers.BooleanField)
    def get_snmp_v3_priv_key_set(self, obj) -> bool:
        return self._is_set(obj, "snmp_v3_priv_key")

    def validate_host(self, value):
        return _wrap(device_forms.clean_host, value)

    def validate_tags(self, value):
        return _wrap(device_forms.clean_tags, value)

    def validate_tls_ca_pem(self, value):
        return _wrap(device_forms.clean_ca_pem, value)

    def validate_tls_fingerprint(self, value):
        value = (value or "").strip().lower().replace(":", "")
        if value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value)):
            raise serializers.ValidationError("A sha256 fingerprint: 64 hex digits (colons allowed).")
        return value

    def validate_name(self, value):
        value = value.strip()
        access = self.context["access"]
        clash = Device.objects.filter(tenant=access.tenant, name=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another device of this tenant has this name.")
        return value

    def validate(self, attrs):
        access = self.context["access"]
        if "site" in attrs or self.instance is None:
            site = attrs.get("site")
            if access.site_ids is not None and (site is None or site.pk not in access.site_ids):
                raise serializers.ValidationError({"site": "You may only add devices to your own sites."})
        mode = attrs.get("tls_mode", getattr(self.instance, "tls_mode", "fingerprint"))
        pem = attrs.get("tls_ca_pem", getattr(self.instance, "tls_ca_pem", ""))
        if mode == "ca" and not pem:
            raise serializers.ValidationError({"tls_ca_pem": "“ca” mode needs the CA certificate."})
        return attrs

    def split(self) -> tuple[dict, dict]:
        """(model data, {secret field: plaintext}) from validated data."""
        data = dict(self.validated_data)
        secrets = {k: data.pop(k) for k in DEVICE_SECRETS if k in data}
        return data, secrets


class CheckRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.CharField()
    url = serializers.CharField()


class NewDeviceSerializer(DeviceSerializer):
    check = serializers.SerializerMethodField(help_text="The connectivity check started for the new device.")

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "check"]

    @extend_schema_field(CheckRefSerializer)
    def get_check(self, obj):
        check = self.context.get("check")
        return check_ref(check, self.context) if check else None


def check_ref(check: ConnectivityCheck, context: dict) -> dict:
    request = context.get("request")
    path = reverse("device-check-detail", kwargs={"tenant": check.tenant.slug, "pk": check.pk})
    return {"id": str(check.pk), "state": check.state, "url": request.build_absolute_uri(path) if request else path}


class CredentialProfileSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        max_length=4096,
        style={"input_type": "password"},
        help_text="Write-only. Required on create; omit to keep it.",
    )
    ssh_private_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=16384,
        help_text='Write-only PEM/OpenSSH private key; "" removes it.',
    )
    password_set = serializers.SerializerMethodField()
    ssh_private_key_set = serializers.SerializerMethodField()
    changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    device_count = serializers.SerializerMethodField()

    class Meta:
        model = CredentialProfile
        fields = [
            "id",
            "name",
            "username",
            "password",
            "password_set",
            "ssh_private_key",
            "ssh_private_key_set",
            "notes",
            "device_count",
            "created",
            "changed_at",
            "changed_by",
        ]
        read_only_fields = ["id", "created", "changed_at"]

    @extend_schema_field(serializers.BooleanField)
    def get_password_set(self, obj) -> bool:
        return obj.password is not None

    @extend_schema_field(serializers.BooleanField)
    def get_ssh_private_key_set(self, obj) -> bool:
        return obj.ssh_private_key is not None

    @extend_schema_field(serializers.IntegerField)
    def get_device_count(self, obj) -> int:
        return obj.devices.count()

    def validate_name(self, value):
        value = value.strip()
        access = self.context["access"]
        clash = CredentialProfile.objects.filter(tenant=access.tenant, name=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another credential profile of this tenant has this name.")
        return value

    def validate_password(self, value):
        if value == "":
            raise serializers.ValidationError("The password cannot be empty.")
        return value

    def validate(self, attrs):
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": "A new credential profile needs a password."})
        return attrs

    def split(self) -> tuple[dict, dict]:
        data = dict(self.validated_data)
        secrets = {k: data.pop(k) for k in ("password", "ssh_private_key") if k in data}
        return data, secrets


class DeviceEventSerializer(serializers.ModelSerializer):
    device_name = serializers.SlugRelatedField(source="device", slug_field="name", read_only=True)

    class Meta:
        model = DeviceEvent
        fields = ["id", "device", "device_name", "at", "kind", "old", "new", "reason"]
        read_only_fields = fields


class ConnectivityCheckSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ConnectivityCheck
        fields = [
            "id",
            "device",
            "state",
            "progress",
            "outcome",
            "message",
            "protocol",
            "missing_policies",
            "attempts",
            "requested_by",
            "created",
            "started",
            "finished",
        ]
        read_only_fields = fields


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="CSV file (multipart).")
    csv = serializers.CharField(required=False, trim_whitespace=False, help_text="CSV text (JSON).")
    check = serializers.BooleanField(default=False, help_text="Start a connectivity check for every new device.")


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Line number in the file (the header is line 1).")
    name = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    devices = serializers.ListField(child=serializers.DictField())
    errors = ImportRowErrorSerializer(many=True)
