"""The upgrade planner's form. Parameter rules are the upgrade kind's (one place): the form only
collects the selection and the wave settings."""

from __future__ import annotations

from django import forms

from devices.firmware.services import CHANNELS
from devices.jobs.forms import DeviceChoiceField


class UpgradePlanForm(forms.Form):
    devices = DeviceChoiceField(queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 8}))
    site = forms.ModelChoiceField(queryset=None, required=False, empty_label="—")
    tag = forms.CharField(max_length=50, required=False)
    canary = forms.IntegerField(initial=1, min_value=0, max_value=100, help_text="Devices in the first wave.")
    batch_size = forms.IntegerField(initial=10, min_value=1, max_value=1000, help_text="Devices per following wave.")
    failure_threshold = forms.IntegerField(
        initial=1, min_value=1, max_value=1000, help_text="Pause when this many devices of a wave failed."
    )
    only_in_window = forms.BooleanField(required=False, label="Only inside maintenance windows")
    routerboard = forms.BooleanField(required=False, label="Then upgrade the RouterBOARD firmware (second reboot)")
    channel = forms.ChoiceField(
        choices=[("", "each device's own channel")] + [(c, c) for c in CHANNELS], required=False
    )
    start_at = forms.DateTimeField(
        required=False,
        label="Start at (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text="Optional: the upgrade waits until then (UTC). Empty: now (or when the windows open).",
    )
    confirm = forms.BooleanField(required=False, label="I understand these routers will reboot: start the upgrade")

    def __init__(self, *args, devices_qs, sites_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["devices"].queryset = devices_qs
        self.fields["site"].queryset = sites_qs

    def selection(self) -> dict:
        data = self.cleaned_data
        devices = [str(d.pk) for d in data.get("devices") or []]
        site = str(data["site"].pk) if data.get("site") else None
        tag = data.get("tag") or ""
        return {"devices": devices or None, "site": None if devices else site, "tag": tag}

    def params(self) -> dict:
        data = self.cleaned_data
        names = ("canary", "batch_size", "failure_threshold", "only_in_window", "routerboard", "channel")
        params = {name: data.get(name) for name in names}
        if data.get("start_at"):  # the field reads UTC (see its label), whatever the server's zone
            params["start_at"] = data["start_at"].replace(tzinfo=None).isoformat() + "+00:00"
        return params
