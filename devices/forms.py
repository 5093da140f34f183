"""Forms of the device inventory UI (and the per-row validation of the CSV import).

Secrets are write-only fields: they are never rendered back (PasswordInput without
render_value), a blank one on edit keeps the stored value, and "clear" boxes remove it.
"""

from __future__ import annotations

import ipaddress
import re
import ssl

from django import forms

from devices.models import CredentialProfile, Device, Protocol, SNMPVersion, TLSMode
from devices.models.device import MIN_POLL_INTERVAL_S
from tenants.models import Site

HOST_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)
TAG_RE = re.compile(r"^[\w.:-]{1,50}$")


def clean_host(value: str) -> str:
    value = (value or "").strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not HOST_RE.match(value) or value.replace(".", "").isdigit():
        raise forms.ValidationError("Enter an IP address or a DNS name.")
    return value.lower()


def split_list(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = re.split(r"[,;\s|]+", value or "")
    return [i.strip() for i in items if i and i.strip()]


def clean_tags(value) -> list[str]:
    tags = []
    for tag in split_list(value):
        if not TAG_RE.match(tag):
            raise forms.ValidationError(f"“{tag[:60]}” is not a valid tag (letters, digits, . : _ -; up to 50).")
        if tag not in tags:
            tags.append(tag)
    return tags


def clean_protocols(value) -> list[str]:
    protocols = []
    for proto in split_list(value):
        if proto not in Protocol.values:
            raise forms.ValidationError(f"Unknown protocol “{proto[:20]}”; use {', '.join(Protocol.values)}.")
        if proto not in protocols:
            protocols.append(proto)
    return protocols


def clean_ca_pem(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        ssl.create_default_context(cadata=value)
    except (ssl.SSLError, ValueError, TypeError):  # TypeError: non-ASCII text (cadata wants ASCII PEM)
        raise forms.ValidationError("Not a valid PEM certificate.") from None
    return value


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DeviceForm(forms.Form):
    """Add or edit one device. `secret_fields` go to the service separately (never stored raw)."""

    secret_fields = ("password", "snmp_community", "snmp_v3_auth_key", "snmp_v3_priv_key")

    name = forms.CharField(max_length=100)
    host = forms.CharField(max_length=255, help_text="IP address or DNS name the platform reaches the router at.")
    site = SiteChoiceField(queryset=Site.objects.none(), required=False, empty_label="— no site —")
    protocol = forms.ChoiceField(choices=Protocol.choices, initial=Protocol.API_SSL)
    fallback_protocols = forms.CharField(
        required=False,
        initial="api",
        help_text="Tried in order when the preferred protocol fails, e.g. “api”. Leave empty for none.",
    )
    api_port = forms.IntegerField(min_value=1, max_value=65535, initial=8728)
    api_ssl_port = forms.IntegerField(min_value=1, max_value=65535, initial=8729)
    ssh_port = forms.IntegerField(min_value=1, max_value=65535, initial=22)
    rest_port = forms.IntegerField(min_value=1, max_value=65535, initial=443)
    snmp_port = forms.IntegerField(min_value=1, max_value=65535, initial=161)
    tls_mode = forms.ChoiceField(choices=TLSMode.choices, initial=TLSMode.FINGERPRINT)
    tls_ca_pem = forms.CharField(
        required=False,
        label="CA certificate (PEM)",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For “ca” mode.",
    )
    credential_profile = forms.ModelChoiceField(
        queryset=CredentialProfile.objects.none(), required=False, empty_label="— none —"
    )
    username = forms.CharField(max_length=100, required=False, help_text="Overrides the profile's user name.")
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Overrides the profile's password. On edit, leave empty to keep the stored one.",
    )
    clear_password = forms.BooleanField(required=False, label="Remove the per-device password")
    clear_fingerprint = forms.BooleanField(
        required=False,
        label="Forget the pinned TLS certificate",
        help_text="After replacing the router's certificate on purpose: the next connection pins the new one.",
    )
    tags = forms.CharField(required=False, help_text="Separated by commas or spaces.")
    poll_interval_s = forms.IntegerField(min_value=MIN_POLL_INTERVAL_S, initial=60, label="Poll interval (s)")
    backup_interval_hours = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=24 * 30,
        label="Back up every (hours)",
        help_text="Empty: the tenant's backup policy. 0: never (e.g. a device backed up elsewhere).",
    )
    enabled = forms.BooleanField(required=False, initial=True)
    snmp_version = forms.ChoiceField(choices=SNMPVersion.choices, required=False)
    snmp_community = forms.CharField(
        required=False, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"}), label="SNMP community"
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, access, device: Device | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.access, self.device = access, device
        self.fields["site"].queryset = Site.objects.restrict(access, "view_structure").order_by("name")
        if access.site_ids is not None:
            self.fields["site"].required = True
        self.fields["credential_profile"].queryset = CredentialProfile.objects.filter(tenant=access.tenant)
        if device is None:
            del self.fields["clear_password"]
        if device is None or not device.tls_fingerprint:
            del self.fields["clear_fingerprint"]

    def clean_host(self):
        return clean_host(self.cleaned_data["host"])

    def clean_tags(self):
        return clean_tags(self.cleaned_data.get("tags"))

    def clean_fallback_protocols(self):
        return clean_protocols(self.cleaned_data.get("fallback_protocols"))

    def clean_tls_ca_pem(self):
        return clean_ca_pem(self.cleaned_data.get("tls_ca_pem"))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Device.objects.filter(tenant=self.access.tenant, name=name)
        if self.device is not None:
            clash = clash.exclude(pk=self.device.pk)
        if clash.exists():
            raise forms.ValidationError("Another device of this tenant has this name.")
        return name

    def clean(self):
        data = super().clean()
        if data.get("tls_mode") == TLSMode.CA and not data.get("tls_ca_pem"):
            self.add_error("tls_ca_pem", "“ca” mode needs the CA certificate.")
        return data

    def model_data(self) -> dict:
        skip = {*self.secret_fields, "clear_password", "clear_fingerprint"}
        data = {k: v for k, v in self.cleaned_data.items() if k not in skip}
        if self.cleaned_data.get("clear_fingerprint"):
            data["tls_fingerprint"] = ""
        data["snmp_version"] = data.get("snmp_version") or ""
        return data

    def secrets(self) -> dict:
        """{field: plaintext} to set; "" clears; fields left empty on edit are kept."""
        out = {k: self.cleaned_data.get(k) for k in ("password", "snmp_community") if self.cleaned_data.get(k)}
        if self.cleaned_data.get("clear_password"):
            out["password"] = ""
        return out


class CredentialProfileForm(forms.ModelForm):
    password = forms.CharField(
        required=False, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    ssh_private_key = forms.CharField(
        required=False,
        strip=False,
        label="SSH private key (optional)",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
    )

    class Meta:
        model = CredentialProfile
        fields = ["name", "username", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if self.instance.pk:
            self.fields["password"].help_text = "Leave empty to keep the stored password."
            self.fields["ssh_private_key"].help_text = "Leave empty to keep the stored key."
        else:
            self.fields["password"].required = True

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if CredentialProfile.objects.filter(tenant=self.tenant, name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another credential profile of this tenant has this name.")
        return name

    def secrets(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("password", "ssh_private_key") if self.cleaned_data.get(k)}


class ImportForm(forms.Form):
    file = forms.FileField(required=False, help_text="A .csv file (UTF-8), first line = column names.")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}), label="…or paste CSV")

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError("Choose a CSV file or paste CSV text.")
        return data
