"""Forms of the alerting pages (validation of meaning is in services; these parse input)."""

from __future__ import annotations

from django import forms

from devices.models import Device, RuleKind, Severity
from devices.models.alerts import KIND_NEEDS, ChannelKind, WindowKind
from tenants.models import Site


def _csv(value: str) -> list[str]:
    return [part.strip() for part in (value or "").replace("\n", ",").split(",") if part.strip()]


class RuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(
        choices=[(k.value, k.label + (f" — {KIND_NEEDS[k]}" if k in KIND_NEEDS else "")) for k in RuleKind]
    )
    threshold = forms.FloatField(
        required=False,
        help_text="Not used by offline, interface down, firmware update, backup failed and config changed; "
        "for a CVE rule the minimum CVSS score (7 = high, 9 = critical; empty = any CVE).",
    )
    duration = forms.IntegerField(
        min_value=1, max_value=1000, initial=1, help_text="Consecutive breaching samples before it fires."
    )
    clear_after = forms.IntegerField(
        min_value=1, max_value=1000, initial=1, help_text="Consecutive good samples before it resolves."
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.WARNING)
    enabled = forms.BooleanField(required=False, initial=True)
    interface = forms.CharField(
        max_length=64, required=False, help_text="Interface kinds: only this interface (empty: all)."
    )
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(), required=False, help_text="None selected: every site."
    )
    tags = forms.CharField(required=False, help_text="Comma-separated; devices with any of them (empty: all).")

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = Site.objects.filter(tenant=tenant).order_by("name")

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["sites"] = [site.pk for site in data["sites"]]
        data["tags"] = _csv(data["tags"])
        return data


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=ChannelKind.choices)
    enabled = forms.BooleanField(required=False, initial=True)
    min_severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.INFO, label="Minimum severity")
    notify_resolved = forms.BooleanField(required=False, initial=True, label="Notify resolutions too")
    recipients = forms.CharField(required=False, help_text="E-mail: comma-separated addresses.")
    url = forms.CharField(
        required=False,
        max_length=2048,
        widget=forms.PasswordInput(render_value=False),
        label="URL",
        help_text="Webhook, Slack or ntfy URL. Write-only: leave empty to keep the stored one.",
    )
    secret = forms.CharField(
        required=False,
        max_length=2048,
        widget=forms.PasswordInput(render_value=False),
        label="Signing secret / token",
        help_text="Webhook: HMAC-SHA256 signing secret; ntfy: access token. Leave empty to keep.",
    )

    def clean_recipients(self):
        addresses = _csv(self.cleaned_data["recipients"])
        for address in addresses:
            forms.EmailField().clean(address)
        return addresses

    def values(self) -> tuple[dict, dict]:
        data = {
            k: self.cleaned_data[k]
            for k in ("name", "kind", "enabled", "min_severity", "notify_resolved", "recipients")
        }
        secrets = {k: self.cleaned_data[k] for k in ("url", "secret") if self.cleaned_data[k]}
        return data, secrets


WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class WindowForm(forms.Form):
    name = forms.CharField(max_length=100)
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, help_text="Empty: the whole tenant.")
    device = forms.ModelChoiceField(queryset=Device.objects.none(), required=False, help_text="Empty: every device.")
    kind = forms.ChoiceField(choices=WindowKind.choices)
    starts_at = forms.DateTimeField(required=False, help_text="One-off: start (UTC), e.g. 2026-11-24 22:00.")
    ends_at = forms.DateTimeField(required=False, help_text="One-off: end (UTC).")
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(required=False, help_text="Weekly: start time (UTC), e.g. 22:00.")
    duration_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=7 * 24 * 60, help_text="Weekly: length in minutes."
    )

    def __init__(self, *args, tenant=None, devices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(tenant=tenant).order_by("name")
        self.fields["device"].queryset = devices if devices is not None else Device.objects.none()
