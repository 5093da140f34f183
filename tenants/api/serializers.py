"""Request and response shapes of the tenancy API. Writes go through tenants.services; these
classes only validate input and render output (never a password hash, TOTP secret or token hash)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenants import services, twofactor
from tenants.access import tenants_for
from tenants.models import APIToken, Membership, Site, Tenant, User

ROLE_CHOICES = Membership.ROLE_CHOICES


def email_field(**kwargs) -> serializers.CharField:
    """An email that may be blank: a plain string in the schema (`format: email` would make the
    empty string, a legal value, a schema violation) but validated as an address on input."""
    from django.core.validators import EmailValidator

    return serializers.CharField(max_length=254, allow_blank=True, validators=[EmailValidator()], **kwargs)


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "active", "require_2fa", "created"]
        read_only_fields = ["id", "created"]


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "slug", "description", "created"]
        read_only_fields = ["id", "created"]

    def validate(self, attrs):
        access = self.context["access"]
        for field in ("name", "slug"):
            value = attrs.get(field)
            clash = Site.objects.filter(tenant=access.tenant, **{field: value})
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if value is not None and clash.exists():
                raise serializers.ValidationError({field: f"A site with this {field} already exists."})
        return attrs


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Per-field messages (validation errors only).")


class ErrorSerializer(serializers.Serializer):
    """The API's one error body (mikman.api.exception_handler, tenants.api.responses)."""

    error = ErrorDetailSerializer()


# --- Me ----------------------------------------------------------------------------------------


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    required = serializers.BooleanField()
    backup_codes_remaining = serializers.IntegerField()

    @staticmethod
    def of(user: User) -> dict:
        enabled = twofactor.has_2fa(user)
        return {
            "enabled": enabled,
            "required": twofactor.requires_2fa(user),
            "backup_codes_remaining": twofactor.backup_codes_remaining(user) if enabled else 0,
        }


class MyTenantSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(
        help_text="admin, operator or viewer; `platform` for a super admin's non-member tenant."
    )


class MeSerializer(serializers.ModelSerializer):
    email = email_field(read_only=True)
    tenants = serializers.SerializerMethodField()
    two_factor = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_super_admin", "tenants", "two_factor"]
        read_only_fields = fields

    @extend_schema_field(MyTenantSerializer(many=True))
    def get_tenants(self, user):
        roles = dict(Membership.objects.filter(user=user).values_list("tenant_id", "role"))
        return [{"slug": t.slug, "name": t.name, "role": roles.get(t.id, "platform")} for t in tenants_for(user)]

    @extend_schema_field(TwoFactorStatusSerializer)
    def get_two_factor(self, user):
        return TwoFactorStatusSerializer.of(user)


# --- 2FA ---------------------------------------------------------------------------------------


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text="A TOTP code or an unused backup code.")


class EnrolmentSerializer(serializers.Serializer):
    otpauth_uri = serializers.CharField(help_text="Key URI for authenticator apps (contains the secret).")
    qr_svg = serializers.CharField(help_text="The same URI as an SVG QR code.")


class BackupCodesSerializer(serializers.Serializer):
    backup_codes = serializers.ListField(child=serializers.CharField(), help_text="Shown once; store them now.")


# --- Tokens ------------------------------------------------------------------------------------


class APITokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = APIToken
        fields = ["id", "name", "key_prefix", "created", "expires", "last_used", "revoked", "active"]
        read_only_fields = ["id", "key_prefix", "created", "last_used", "revoked", "active"]
        extra_kwargs = {"expires": {"required": False, "help_text": "Default: API_TOKEN_DEFAULT_DAYS from now."}}


class NewAPITokenSerializer(APITokenSerializer):
    key = serializers.CharField(read_only=True, help_text="The token itself: shown once, only its hash is kept.")

    class Meta(APITokenSerializer.Meta):
        fields = [*APITokenSerializer.Meta.fields, "key"]


class ObtainTokenSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(max_length=20, required=False, allow_blank=True, help_text="Needed with 2FA.")
    name = serializers.CharField(max_length=100, required=False, default="API login")


# --- Users -------------------------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    email = email_field(required=False, default="")
    two_factor_enabled = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_super_admin",
            "require_2fa",
            "two_factor_enabled",
            "date_joined",
            "last_login",
        ]
        read_only_fields = ["id", "two_factor_enabled", "date_joined", "last_login"]

    def get_two_factor_enabled(self, user) -> bool:
        return twofactor.has_2fa(user)

    def validate_username(self, value):
        if self.instance is not None and value != self.instance.username:
            raise serializers.ValidationError("Usernames cannot be changed.")
        return value


class NewUserSerializer(UserSerializer):
    password = serializers.CharField(read_only=True, help_text="Generated password: shown once.")

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "password"]


class UserSummarySerializer(serializers.ModelSerializer):
    email = email_field(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "is_active", "is_super_admin"]
        read_only_fields = fields


# --- Members -----------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    sites = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "sites", "created"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_sites(self, membership):
        return [str(s) for s in services.site_ids_of(membership)]


class NewMemberSerializer(MemberSerializer):
    password = serializers.CharField(
        read_only=True, allow_null=True, help_text="Generated password when the account was created; else null."
    )

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "password"]
        read_only_fields = fields


class MemberCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="An existing user, or the account to create.")
    email = email_field(required=False, default="")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    sites = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, help_text="Empty: the whole tenant."
    )


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    sites = serializers.ListField(child=serializers.UUIDField(), required=False, help_text="Empty: the whole tenant.")


class PlatformSecuritySerializer(serializers.Serializer):
    require_2fa = serializers.BooleanField(help_text="Every user must use two-factor authentication.")
