"""Forms of the web UI. Bad input becomes a form error here, never a 500 further down."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from guardian.conf import settings as guardian_settings

from tenants.models import Membership, Site, Tenant, User
from tenants.models.tenant import slug_validator
from tenants.roles import TENANT_ROLES

ROLE_CHOICES = [(r.value, r.value.title()) for r in TENANT_ROLES]
ROLE_HELP = "Admin: everything in the tenant. Operator: day-to-day operations. Viewer: read only."


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    """A 6-digit authenticator code or an 8-character backup code (dashes and spaces allowed)."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        validators=[RegexValidator(r"^[0-9A-Za-z\- ]{6,20}$", "Enter the 6-digit code or a backup code.")],
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )


class TOTPCodeForm(CodeForm):
    code = forms.CharField(
        label="6-digit code from your app",
        max_length=10,
        validators=[RegexValidator(r"^\s*\d{3}\s?\d{3}\s*$", "Enter the 6 digits your app shows.")],
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class TenantForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "slug", "active", "require_2fa"]
        help_texts = {
            "slug": "Used in addresses: /t/<slug>/. Lowercase letters, digits and dashes.",
            "active": "Inactive tenants are hidden from their members.",
        }


class SiteForm(forms.ModelForm):
    """Site names and slugs are unique per tenant; checked here (the constraint includes `tenant`,
    which is not a form field, so Django's own validation would skip it and the insert would fail)."""

    class Meta:
        model = Site
        fields = ["name", "slug", "description"]
        help_texts = {"slug": "Lowercase letters, digits and dashes; unique in this tenant."}

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["description"].widget.attrs["rows"] = 3

    def _unique(self, field: str) -> str:
        value = self.cleaned_data.get(field)
        clash = Site.objects.filter(tenant=self.tenant, **{field: value}).exclude(pk=self.instance.pk)
        if value and clash.exists():
            raise forms.ValidationError(f"Another site in this tenant already has this {field}.")
        return value

    def clean_name(self):
        return self._unique("name")

    def clean_slug(self):
        return self._unique("slug")


def apply_errors(form: forms.Form, error: forms.ValidationError) -> None:
    """Put a service's ValidationError on the form: on the named fields it has, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class SitesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _sites_field(tenant: Tenant) -> SitesField:
    return SitesField(
        queryset=Site.objects.filter(tenant=tenant).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for access to the whole tenant.",
    )


class MemberAddForm(forms.Form):
    """Add an existing user by username, or create one (email then required)."""

    username = forms.CharField(max_length=150, validators=[User.username_validator])
    email = forms.EmailField(required=False, help_text="Needed only when the user does not exist yet.")
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="viewer", help_text=ROLE_HELP)

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["sites"] = _sites_field(tenant)

    def clean(self):
        data = super().clean()
        username = data.get("username")
        if not username:
            return data
        user = User.objects.filter(username__iexact=username).first()
        if user is not None and user.username == guardian_settings.ANONYMOUS_USER_NAME:
            raise forms.ValidationError("This account cannot be a member.")
        if user is not None:
            if user.is_super_admin:
                raise forms.ValidationError("Super admins are managed on the platform, not as tenant members.")
            if Membership.objects.filter(user=user, tenant=self.tenant).exists():
                raise forms.ValidationError(f"{user.username} is already a member of {self.tenant.name}.")
        elif not data.get("email"):
            self.add_error("email", "There is no user with this username; give an email address to create one.")
        data["existing_user"] = user
        return data


class MemberEditForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES, help_text=ROLE_HELP)

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"] = _sites_field(tenant)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “backup script”.")
    days = forms.IntegerField(
        label="Valid for (days)", min_value=1, max_value=365, initial=90, help_text="Between 1 and 365 days."
    )


class PlatformUserForm(forms.Form):
    """Super admins create platform users (tenant access is given on a tenant's Members page)."""

    username = forms.CharField(max_length=150, validators=[User.username_validator])
    email = forms.EmailField()
    is_super_admin = forms.BooleanField(required=False, label="Super admin")

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("A user with this username already exists.")
        return username


class PlatformUserEditForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    require_2fa = forms.BooleanField(required=False, label="Require two-factor authentication")
    is_super_admin = forms.BooleanField(
        required=False, label="Super admin", help_text="Manages every tenant's structure and the platform."
    )


__all__ = [
    "PlatformUserEditForm",
    "apply_errors",
    "CodeForm",
    "LoginForm",
    "MemberAddForm",
    "MemberEditForm",
    "PlatformUserForm",
    "SiteForm",
    "TOTPCodeForm",
    "TenantForm",
    "TokenForm",
    "slug_validator",
]
