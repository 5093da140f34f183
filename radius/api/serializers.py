"""Request and response shapes of the User Manager API.

Secrets (user passwords, OTP secrets, router shared secrets) are write-only: responses say only
`…_set`. Related objects are chosen among the tenant's own (a foreign id is "does not exist").
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from radius import decisions
from radius.choices import OnLimitReached
from radius.models import (
    AuthLog,
    CustomAttribute,
    Customer,
    Group,
    History,
    Limitation,
    Profile,
    ProfileLimitation,
    RadiusUser,
    Router,
    Session,
    UserProfile,
    VoucherBatch,
)

MIN_SHARED_SECRET = 16


def secret_field(help_text: str, *, min_length: int | None = None) -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=256,
        min_length=min_length,
        style={"input_type": "password"},
        help_text=help_text + " Write-only; omit to keep, an empty string clears it.",
    )


def validate_attributes(value):
    if not isinstance(value, dict):
        raise serializers.ValidationError('An object of attribute name → value, e.g. {"Idle-Timeout": 300}.')
    for name, item in value.items():
        if not isinstance(name, str) or not name or len(name) > 64:
            raise serializers.ValidationError("Attribute names are strings of 1–64 characters.")
        if not isinstance(item, str | int) or isinstance(item, bool) or len(str(item)) > 253:
            raise serializers.ValidationError(f"{name}: a string or integer value of at most 253 characters.")
    return value


class TenantModelSerializer(serializers.ModelSerializer):
    """Scopes every writable relation to the tenant in the serializer context and splits secrets."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        access = self.context.get("access")
        for field in self.fields.values():
            if isinstance(field, serializers.PrimaryKeyRelatedField) and not field.read_only:
                model = field.queryset.model
                field.queryset = model.objects.filter(tenant=access.tenant) if access else model.objects.none()

    def split(self) -> tuple[dict, dict]:
        data = dict(self.validated_data)
        secrets = {k: data.pop(k) for k in self.secret_fields if k in data}
        return data, secrets

    def _unique(self, model, field: str, value, message: str):
        access = self.context["access"]
        clash = model.objects.filter(tenant=access.tenant, **{field: value})
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(message)
        return value


class CustomerSerializer(TenantModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "login", "parent", "permissions", "access", "user_prefix", "disabled", "comment", "created"]
        read_only_fields = ["id", "created"]

    def validate_login(self, value):
        return self._unique(Customer, "login", value, "Another customer of this tenant has this login.")

    def validate_parent(self, value):
        if value is not None and self.instance is not None:
            if value.pk == self.instance.pk or self.instance.pk in {c.pk for c in value.ancestors()}:
                raise serializers.ValidationError("A customer cannot be its own ancestor.")
        return value


class GroupSerializer(TenantModelSerializer):
    attributes = serializers.JSONField(required=False, validators=[validate_attributes])

    class Meta:
        model = Group
        fields = ["id", "name", "outer_auths", "attributes", "comment"]
        read_only_fields = ["id"]

    def validate_name(self, value):
        return self._unique(Group, "name", value, "Another group of this tenant has this name.")


class CustomAttributeSerializer(TenantModelSerializer):
    class Meta:
        model = CustomAttribute
        fields = ["id", "name", "vendor_id", "type_id", "value_type", "comment"]
        read_only_fields = ["id"]

    def validate_name(self, value):
        return self._unique(CustomAttribute, "name", value, "Another attribute of this tenant has this name.")


class RadiusUserSerializer(TenantModelSerializer):
    secret_fields = ("password", "otp_secret")
    password = secret_field("The user's password (kept encrypted with the tenant's key for CHAP/MS-CHAPv2).")
    otp_secret = secret_field("Base32 TOTP secret: the user appends the 6-digit code to the password.")
    password_set = serializers.SerializerMethodField()
    otp_secret_set = serializers.SerializerMethodField()
    attributes = serializers.JSONField(required=False, validators=[validate_attributes])

    class Meta:
        model = RadiusUser
        fields = [
            "id",
            "name",
            "password",
            "password_set",
            "otp_secret",
            "otp_secret_set",
            "group",
            "customer",
            "batch",
            "shared_users",
            "caller_id",
            "bind_on_first_use",
            "ip_address",
            "attributes",
            "disabled",
            "comment",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "batch", "created", "updated"]

    @extend_schema_field(serializers.BooleanField)
    def get_password_set(self, obj) -> bool:
        return obj.password is not None

    @extend_schema_field(serializers.BooleanField)
    def get_otp_secret_set(self, obj) -> bool:
        return obj.otp_secret is not None

    def validate_name(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("A user name is required.")
        return self._unique(RadiusUser, "name", value, "Another user of this tenant has this name.")

    def validate_otp_secret(self, value):
        import base64

        if value:
            try:
                base64.b32decode(value.upper() + "=" * (-len(value) % 8))
            except ValueError:
                raise serializers.ValidationError("A base32 TOTP secret (A–Z, 2–7).") from None
        return value


class UsageSerializer(serializers.Serializer):
    active_profile = serializers.CharField(help_text='"" when no profile is in force.')
    expires_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(help_text='Why the user would be rejected now; "" when allowed.')
    transfer_used = serializers.IntegerField()
    transfer_limit = serializers.IntegerField(allow_null=True)
    transfer_remaining = serializers.IntegerField(allow_null=True)
    uptime_used_s = serializers.IntegerField()
    uptime_limit_s = serializers.IntegerField(allow_null=True)
    uptime_remaining_s = serializers.IntegerField(allow_null=True)
    download_used = serializers.IntegerField()
    upload_used = serializers.IntegerField()
    period_end = serializers.DateTimeField(allow_null=True, help_text="When the counters reset next.")


class ProfileSerializer(TenantModelSerializer):
    class Meta:
        model = Profile
        fields = [
            "id",
            "name",
            "name_for_users",
            "price",
            "starts_when",
            "validity",
            "override_shared_users",
            "shared_users_overflow",
            "time_zone",
            "customer",
            "comment",
            "created",
        ]
        read_only_fields = ["id", "created"]

    def validate_name(self, value):
        return self._unique(Profile, "name", value, "Another profile of this tenant has this name.")

    def validate_validity(self, value):
        if value is not None and value.total_seconds() <= 0:
            raise serializers.ValidationError("A positive duration (or null for unlimited).")
        return value


class LimitationSerializer(TenantModelSerializer):
    rate_limit = serializers.SerializerMethodField(help_text="The Mikrotik-Rate-Limit value this sends.")

    class Meta:
        model = Limitation
        fields = [
            "id",
            "name",
            "download_limit",
            "upload_limit",
            "transfer_limit",
            "uptime_limit",
            "rate_limit_rx",
            "rate_limit_tx",
            "rate_limit_min_rx",
            "rate_limit_min_tx",
            "rate_limit_burst_rx",
            "rate_limit_burst_tx",
            "rate_limit_burst_threshold_rx",
            "rate_limit_burst_threshold_tx",
            "rate_limit_burst_time_rx",
            "rate_limit_burst_time_tx",
            "rate_limit_priority",
            "rate_limit",
            "group_name",
            "address_list",
            "ip_pool",
            "reset_counters_interval",
            "reset_counters_start",
            "on_limit_reached",
            "throttle_rate_limit",
            "customer",
            "comment",
            "created",
        ]
        read_only_fields = ["id", "created"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        mode = attrs.get("on_limit_reached", getattr(self.instance, "on_limit_reached", OnLimitReached.DISCONNECT))
        rate = attrs.get("throttle_rate_limit", getattr(self.instance, "throttle_rate_limit", ""))
        if mode == OnLimitReached.THROTTLE and not rate.strip():
            raise serializers.ValidationError({"throttle_rate_limit": "Throttling needs the rate to throttle to."})
        return attrs

    @extend_schema_field(serializers.CharField)
    def get_rate_limit(self, obj) -> str:
        return decisions.rate_limit_string(obj)

    def validate_name(self, value):
        return self._unique(Limitation, "name", value, "Another limitation of this tenant has this name.")

    def validate_uptime_limit(self, value):
        if value is not None and value.total_seconds() <= 0:
            raise serializers.ValidationError("A positive duration (or null for unlimited).")
        return value


class ProfileLimitationSerializer(TenantModelSerializer):
    class Meta:
        model = ProfileLimitation
        fields = ["id", "profile", "limitation", "from_time", "till_time", "weekdays"]
        read_only_fields = ["id"]

    def validate_weekdays(self, value):
        if not value:
            raise serializers.ValidationError("At least one weekday.")
        return sorted(set(value), key=decisions.WEEKDAYS.index)


class UserProfileSerializer(TenantModelSerializer):
    class Meta:
        model = UserProfile
        fields = ["id", "user", "profile", "position", "state", "assigned_at", "started_at", "ends_at"]
        read_only_fields = ["id", "position", "state", "assigned_at", "started_at", "ends_at"]


class RouterSerializer(TenantModelSerializer):
    secret_fields = ("shared_secret",)
    shared_secret = secret_field(
        f"RADIUS shared secret, at least {MIN_SHARED_SECRET} characters; required when adding.",
        min_length=MIN_SHARED_SECRET,
    )
    shared_secret_set = serializers.SerializerMethodField()

    class Meta:
        model = Router
        fields = [
            "id",
            "name",
            "address",
            "shared_secret",
            "shared_secret_set",
            "coa_port",
            "require_message_authenticator",
            "radsec_only",
            "disabled",
            "device",
            "customer",
            "comment",
            "created",
        ]
        read_only_fields = ["id", "created"]

    @extend_schema_field(serializers.BooleanField)
    def get_shared_secret_set(self, obj) -> bool:
        return obj.shared_secret is not None

    def validate_name(self, value):
        return self._unique(Router, "name", value, "Another router of this tenant has this name.")

    def validate(self, attrs):
        if self.instance is None and not attrs.get("shared_secret"):
            raise serializers.ValidationError({"shared_secret": "A shared secret is required."})
        return attrs


class SessionSerializer(serializers.ModelSerializer):
    nas_name = serializers.SlugRelatedField(source="nas", slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "user",
            "username",
            "nas",
            "nas_name",
            "acct_session_id",
            "calling_station_id",
            "nas_port_id",
            "framed_ip",
            "started_at",
            "updated_at",
            "ended_at",
            "uptime_s",
            "download_bytes",
            "upload_bytes",
            "status",
            "terminate_cause",
            "throttled_rate_limit",
            "coa_result",
            "disconnect_result",
        ]
        read_only_fields = fields


class AuthLogSerializer(serializers.ModelSerializer):
    nas_name = serializers.SlugRelatedField(source="nas", slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = AuthLog
        fields = ["id", "at", "username", "nas", "nas_name", "calling_station_id", "auth_method", "result", "reason"]
        read_only_fields = fields


class HistorySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = History
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "model",
            "object_id",
            "object_name",
            "before",
            "after",
            "undone",
            "undone_at",
        ]
        read_only_fields = fields


class VoucherBatchSerializer(TenantModelSerializer):
    users = serializers.SerializerMethodField()

    class Meta:
        model = VoucherBatch
        fields = ["id", "name", "profile", "count", "prefix", "password_length", "comment", "created", "users"]
        read_only_fields = ["id", "created", "users"]
        extra_kwargs = {
            "count": {"min_value": 1, "max_value": 1000},
            "password_length": {"min_value": 6, "max_value": 32},
        }

    @extend_schema_field(serializers.IntegerField)
    def get_users(self, obj) -> int:
        return obj.users.count()

    def validate_name(self, value):
        return self._unique(VoucherBatch, "name", value, "Another voucher batch of this tenant has this name.")

    def validate_prefix(self, value):
        if value and not value.replace("-", "").replace("_", "").isalnum():
            raise serializers.ValidationError("Letters, digits, - and _ only.")
        return value


class VoucherSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()


class NewVoucherBatchSerializer(VoucherBatchSerializer):
    vouchers = serializers.SerializerMethodField(
        help_text="The users and their passwords: returned ONCE, in this response only."
    )

    class Meta(VoucherBatchSerializer.Meta):
        fields = [*VoucherBatchSerializer.Meta.fields, "vouchers"]

    @extend_schema_field(VoucherSerializer(many=True))
    def get_vouchers(self, obj):
        return [{"username": u, "password": p} for u, p in self.context.get("cards", [])]


class ProvisionSerializer(serializers.Serializer):
    rollback_s = serializers.IntegerField(
        required=False,
        min_value=3,
        max_value=3600,
        help_text="The device restores its previous configuration after this many seconds unless the platform "
        "can still log in after the change (default 120).",
    )


class DisconnectResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["ack", "nak", "timeout"], help_text="The router's answer.")
    message = serializers.CharField()
    session = SessionSerializer()
