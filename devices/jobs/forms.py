"""The "Run command" form (UI). Validation of the command itself is the runner's (one place)."""

from __future__ import annotations

from django import forms


class DeviceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.site.name})" if obj.site_id else obj.name


class RunCommandForm(forms.Form):
    devices = DeviceChoiceField(queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 10}))
    all_devices = forms.BooleanField(required=False, label="Every device I may act on")
    command = forms.CharField(
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "/system/identity/print", "autocomplete": "off"}),
        help_text="A RouterOS API command: /menu/verb name=value … (e.g. /system/identity/set name=edge-1).",
    )
    via = forms.ChoiceField(
        choices=[("api", "RouterOS API (rows of name=value)"), ("ssh", "SSH (the terminal's output)")],
        initial="api",
        required=False,
    )
    confirm = forms.BooleanField(required=False, label="I understand what this command does: run it anyway")

    def __init__(self, *args, devices_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["devices"].queryset = devices_qs

    def clean(self):
        data = super().clean()
        if not data.get("all_devices") and not data.get("devices"):
            raise forms.ValidationError("Choose at least one device (or every device).")
        return data
