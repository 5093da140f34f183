"""The push wizard's form (UI). Validation of the script/template is the push kind's (one place)."""

from __future__ import annotations

from django import forms

from devices.jobs.forms import DeviceChoiceField
from devices.jobs.push_kind import DEFAULT_ROLLBACK_S, MAX_ROLLBACK_S, MIN_ROLLBACK_S


class PushForm(forms.Form):
    devices = DeviceChoiceField(queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 8}))
    all_devices = forms.BooleanField(required=False, label="Every device I may act on")
    mode = forms.ChoiceField(
        choices=[
            ("script", "Raw RouterOS script (sent as it is)"),
            ("template", "Jinja2 template (rendered per device)"),
        ],
        initial="script",
    )
    text = forms.CharField(
        label="Script or template",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "mono"}),
        help_text="Templates see {{ device.name }}, .identity, .model, .version, .serial, .site, .tags, .host "
        "and your variables (sandboxed: nothing else).",
    )
    variables = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"}),
        help_text="Template variables, one name=value per line.",
    )
    rollback_s = forms.IntegerField(
        label="Rollback after (seconds)",
        initial=DEFAULT_ROLLBACK_S,
        min_value=MIN_ROLLBACK_S,
        max_value=MAX_ROLLBACK_S,
        help_text="The device restores its pre-push configuration by itself unless the platform can still log "
        "in after the change and confirms it.",
    )
    ping = forms.CharField(
        required=False, label="Health check: the device must still ping", help_text="Optional IP addresses."
    )
    confirm = forms.BooleanField(required=False, label="I understand what this script does: push it anyway")

    def __init__(self, *args, devices_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["devices"].queryset = devices_qs

    def clean_variables(self):
        out = {}
        for number, line in enumerate(self.cleaned_data.get("variables", "").splitlines(), 1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep:
                raise forms.ValidationError(f"Line {number}: name=value.")
            out[name.strip()] = value.strip()
        return out

    def clean(self):
        data = super().clean()
        if not data.get("all_devices") and not data.get("devices"):
            raise forms.ValidationError("Choose at least one device (or every device).")
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        params = {data["mode"]: data["text"], "rollback_s": data["rollback_s"], "ping": data.get("ping") or []}
        if data["mode"] == "template":
            params["variables"] = data.get("variables") or {}
        elif data.get("variables"):
            params["variables"] = data["variables"]  # refused by the kind with a clear message
        return params


class RestoreForm(forms.Form):
    rollback_s = forms.IntegerField(
        label="Rollback after (seconds)",
        initial=DEFAULT_ROLLBACK_S,
        min_value=MIN_ROLLBACK_S,
        max_value=MAX_ROLLBACK_S,
        help_text="The device returns to its current configuration by itself unless the platform can still log "
        "in after the restore.",
    )
    confirm = forms.BooleanField(
        required=False, label="Replace the device's configuration with this version (users are kept)"
    )
