"""HTML forms of the User Manager pages. They validate shapes; radius.services does the rest
(exactly what the API's serializers hand it)."""

from __future__ import annotations

from django import forms

from radius.choices import CustomerAccess, OnLimitReached, SharedUsersOverflow, Weekday
from radius.models import Customer, Group, Limitation, Profile, ProfileLimitation, RadiusUser, Router

SECRET_HELP = "Write-only: leave empty to keep the current value."


def _secret(label: str, help_text: str = SECRET_HELP, min_length: int | None = None) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        min_length=min_length,
        max_length=256,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


class TenantModelForm(forms.ModelForm):
    """Relations offer only the tenant's own rows; `secret_fields` are split off by `secrets()`."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = field.queryset.model.objects.filter(tenant=tenant)

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in self.secret_fields}

    def secrets(self) -> dict:
        """Only the secrets typed in: an empty field keeps the stored value."""
        return {k: self.cleaned_data[k] for k in self.secret_fields if self.cleaned_data.get(k)}

    def _unique(self, field: str, message: str):
        value = self.cleaned_data[field]
        clash = self._meta.model.objects.filter(tenant=self.tenant, **{field: value})
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(message)
        return value


class CustomerForm(TenantModelForm):
    access = forms.MultipleChoiceField(
        choices=CustomerAccess.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Customer
        fields = ["login", "parent", "permissions", "access", "user_prefix", "disabled", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}

    def clean_login(self):
        return self._unique("login", "Another customer has this login.")

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if parent is not None and self.instance.pk:
            if parent.pk == self.instance.pk or self.instance.pk in {c.pk for c in parent.ancestors()}:
                raise forms.ValidationError("A customer cannot be its own ancestor.")
        return parent


class RadiusUserForm(TenantModelForm):
    secret_fields = ("password", "otp_secret")
    password = _secret("Password")
    otp_secret = _secret("OTP secret (base32)", "Optional TOTP: the user appends the code to the password.")
    field_order = ["name", "password", "otp_secret"]

    class Meta:
        model = RadiusUser
        fields = [
            "name",
            "group",
            "customer",
            "shared_users",
            "caller_id",
            "bind_on_first_use",
            "ip_address",
            "disabled",
            "comment",
        ]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}

    def clean_name(self):
        return self._unique("name", "Another user has this name.")

    def clean_otp_secret(self):
        import base64
        import binascii

        value = self.cleaned_data["otp_secret"]
        if value:
            try:
                base64.b32decode(value.upper() + "=" * (-len(value) % 8))
            except (binascii.Error, ValueError):
                raise forms.ValidationError("A base32 TOTP secret (A–Z, 2–7).") from None
        return value


class GroupForm(TenantModelForm):
    class Meta:
        model = Group
        fields = ["name", "outer_auths", "comment"]

    def clean_name(self):
        return self._unique("name", "Another group has this name.")


class ProfileForm(TenantModelForm):
    class Meta:
        model = Profile
        fields = [
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
        ]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"validity": "e.g. 30 00:00:00 for 30 days; empty: unlimited."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shared_users_overflow"].required = False  # left out: today's behaviour (reject the new)

    def clean_shared_users_overflow(self):
        return self.cleaned_data.get("shared_users_overflow") or SharedUsersOverflow.REJECT_NEW

    def clean_name(self):
        return self._unique("name", "Another profile has this name.")


class LimitationForm(TenantModelForm):
    class Meta:
        model = Limitation
        fields = [
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
            "group_name",
            "address_list",
            "ip_pool",
            "reset_counters_interval",
            "reset_counters_start",
            "on_limit_reached",
            "throttle_rate_limit",
            "customer",
            "comment",
        ]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"uptime_limit": "e.g. 01:00:00 for one hour; empty: unlimited. Bytes and bit/s: 0 = none."}

    def clean_name(self):
        return self._unique("name", "Another limitation has this name.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_limit_reached"].required = False  # a form without it keeps today's disconnect
        self.fields["on_limit_reached"].label = "When used up"
        self.fields["throttle_rate_limit"].label = "Throttle to"

    def clean_on_limit_reached(self):
        return self.cleaned_data.get("on_limit_reached") or OnLimitReached.DISCONNECT


class ProfileLimitationForm(TenantModelForm):
    weekdays = forms.MultipleChoiceField(
        choices=Weekday.choices, initial=[d.value for d in Weekday], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ProfileLimitation
        fields = ["limitation", "from_time", "till_time", "weekdays"]


class AssignProfileForm(forms.Form):
    profile = forms.ModelChoiceField(queryset=Profile.objects.none())

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = Profile.objects.filter(tenant=tenant)


class RouterForm(TenantModelForm):
    secret_fields = ("shared_secret",)
    shared_secret = _secret("Shared secret", SECRET_HELP + " At least 16 characters.", min_length=16)
    field_order = ["name", "address", "shared_secret"]

    class Meta:
        model = Router
        fields = [
            "name",
            "address",
            "coa_port",
            "require_message_authenticator",
            "radsec_only",
            "disabled",
            "device",
            "customer",
            "comment",
        ]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}

    def clean_name(self):
        return self._unique("name", "Another router has this name.")

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("shared_secret") and "shared_secret" not in self.errors:
            self.add_error("shared_secret", "A shared secret is required.")
        return cleaned


class VoucherForm(forms.Form):
    name = forms.CharField(max_length=64)
    profile = forms.ModelChoiceField(queryset=Profile.objects.none())
    count = forms.IntegerField(min_value=1, max_value=1000, initial=10)
    prefix = forms.SlugField(max_length=16, required=False)
    password_length = forms.IntegerField(min_value=6, max_value=32, initial=8)
    comment = forms.CharField(required=False, max_length=200)
    output = forms.ChoiceField(
        choices=[("sheet", "Printable sheet"), ("csv", "CSV file")],
        initial="sheet",
        help_text="The passwords are shown this once only.",
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["profile"].queryset = Profile.objects.filter(tenant=tenant)

    def clean_name(self):
        from radius.models import VoucherBatch

        name = self.cleaned_data["name"]
        if VoucherBatch.objects.filter(tenant=self.tenant, name=name).exists():
            raise forms.ValidationError("Another batch has this name.")
        return name


class SimulatedLoginForm(forms.Form):
    """What the simulated router's subscriber types at the hotspot login page (or its PPP client)."""

    user = forms.CharField(max_length=64)
    password = forms.CharField(max_length=128, widget=forms.PasswordInput(render_value=False))
    service = forms.ChoiceField(choices=[("hotspot", "Hotspot (PAP)"), ("ppp", "PPP (MS-CHAPv2)")], initial="hotspot")
    rate_mbps = forms.IntegerField(
        min_value=0, max_value=10_000, initial=8, label="Traffic (Mbit/s)", help_text="What the subscriber downloads."
    )
    interim_s = forms.IntegerField(
        min_value=1, max_value=3600, initial=5, label="Interim updates every (s)", help_text="Accounting interval."
    )
