"""Bulk import of devices from CSV: every row validated first; all rows valid → all created in one
transaction; any row invalid → nothing created and every row's errors returned.

Columns (header line required, order free, unknown columns are an error): name, host, site (slug),
protocol, fallback_protocols, api_port, api_ssl_port, ssh_port, rest_port, snmp_port, tls_mode,
credential_profile (name), username, password, tags, poll_interval_s, enabled, notes. Only `name`
and `host` are required. Lists (tags, fallback_protocols) are separated by spaces, `;` or `|`.
Passwords are sealed with the tenant's key on import and never echoed back.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.db import transaction

from audit.services import record
from devices import services
from devices.forms import DeviceForm
from devices.models import CredentialProfile, Device
from tenants.access import TenantAccess
from tenants.models import Site
from tenants.roles import Action

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
COLUMNS = (
    "name",
    "host",
    "site",
    "protocol",
    "fallback_protocols",
    "api_port",
    "api_ssl_port",
    "ssh_port",
    "rest_port",
    "snmp_port",
    "tls_mode",
    "credential_profile",
    "username",
    "password",
    "tags",
    "poll_interval_s",
    "enabled",
    "notes",
)
DEFAULTS = {
    "protocol": "api-ssl",
    "fallback_protocols": "api",
    "api_port": "8728",
    "api_ssl_port": "8729",
    "ssh_port": "22",
    "rest_port": "443",
    "snmp_port": "161",
    "tls_mode": "fingerprint",
    "poll_interval_s": "60",
    "enabled": "true",
}
TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"0", "false", "no", "n", "off"}


class ImportError_(Exception):  # noqa: N801 - not the builtin
    """The file as a whole is unusable (encoding, size, header); message safe to show."""


@dataclass
class ImportResult:
    created: list[Device] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # [{"row": 2, "name": "...", "errors": {field: [..]}}]
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class RowForm(DeviceForm):
    """One CSV row: site by slug, credential profile by name, `enabled` as yes/no text."""

    site = forms.CharField(required=False)
    credential_profile = forms.CharField(required=False)
    enabled = forms.CharField(required=False)

    def __init__(self, *args, access: TenantAccess, sites: dict, profiles: dict, **kwargs):
        super().__init__(*args, access=access, **kwargs)
        self.sites, self.profiles = sites, profiles
        for name in ("snmp_version", "snmp_community", "tls_ca_pem"):
            self.fields.pop(name, None)

    def clean_site(self):
        slug = (self.cleaned_data.get("site") or "").strip()
        if not slug:
            if self.access.site_ids is not None:
                raise forms.ValidationError("Give a site: you may only add devices to your own sites.")
            return None
        site = self.sites.get(slug)
        if site is None:
            raise forms.ValidationError(f"No site with slug “{slug[:50]}” that you can add devices to.")
        return site

    def clean_credential_profile(self):
        name = (self.cleaned_data.get("credential_profile") or "").strip()
        if not name:
            return None
        profile = self.profiles.get(name)
        if profile is None:
            raise forms.ValidationError(f"No credential profile named “{name[:100]}”.")
        return profile

    def clean_enabled(self):
        value = (self.cleaned_data.get("enabled") or "true").strip().lower()
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise forms.ValidationError("Use yes or no.")

    def clean(self):
        data = super().clean()
        has_login = data.get("credential_profile") or (data.get("username") and data.get("password"))
        if not self.errors and not has_login:
            self.add_error(None, "Give a credential_profile, or a username and a password.")
        return data

    def model_data(self) -> dict:
        data = super().model_data()
        data.pop("snmp_version", None)
        return data


def read_rows(raw: bytes | str) -> list[tuple[int, dict]]:
    """(line number, {column: value}) per data row. Raises ImportError_ for an unusable file."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise ImportError_(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportError_("The file is not UTF-8 text.") from None
    else:
        text = raw
        if len(text.encode()) > MAX_BYTES:
            raise ImportError_(f"The CSV is larger than {MAX_BYTES // 1024 // 1024} MB.")
    if "\x00" in text:
        raise ImportError_("The file is not CSV text.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportError_("The CSV is empty.") from None
    except csv.Error as exc:
        raise ImportError_(f"Unreadable CSV: {exc}") from None
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise ImportError_(f"Unknown column(s): {', '.join(unknown)[:200]}. Allowed: {', '.join(COLUMNS)}.")
    if len(set(columns)) != len(columns):
        raise ImportError_("A column appears twice in the header.")
    missing = [c for c in ("name", "host") if c not in columns]
    if missing:
        raise ImportError_(f"Missing required column(s): {', '.join(missing)}.")
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportError_(f"More than {MAX_ROWS} rows; split the file.")
            line = reader.line_num
            if len(values) > len(columns):
                rows.append((line, {"__error__": f"{len(values)} values for {len(columns)} columns."}))
                continue
            rows.append((line, dict(zip(columns, values, strict=False))))
    except csv.Error as exc:
        raise ImportError_(f"Unreadable CSV near line {reader.line_num}: {exc}") from None
    if not rows:
        raise ImportError_("The CSV has a header but no rows.")
    return rows


def import_devices(access: TenantAccess, raw: bytes | str, *, filename: str = "") -> ImportResult:
    """Validate every row; create all devices only if every row is valid (one transaction)."""
    if not access.allows(Action.MANAGE_DEVICES):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(f"Your role ({access.role}) may not manage devices.")
    rows = read_rows(raw)
    sites = {s.slug: s for s in Site.objects.restrict(access, Action.VIEW_STRUCTURE)}
    profiles = {p.name: p for p in CredentialProfile.objects.filter(tenant=access.tenant)}
    result = ImportResult(total=len(rows))
    valid: list[tuple[int, RowForm]] = []
    seen_names: dict[str, int] = {}
    for line, row in rows:
        if "__error__" in row:
            result.errors.append({"row": line, "name": "", "errors": {"__all__": [row["__error__"]]}})
            continue
        values = {**DEFAULTS, **{k: v.strip() if k != "password" else v for k, v in row.items() if v.strip() != ""}}
        form = RowForm(values, access=access, sites=sites, profiles=profiles)
        errors = {} if form.is_valid() else {k: [str(m) for m in v] for k, v in form.errors.items()}
        name = (row.get("name") or "").strip()
        if name and name in seen_names:
            errors.setdefault("name", []).append(f"Same name as row {seen_names[name]}.")
        elif name:
            seen_names[name] = line
        if errors:
            result.errors.append({"row": line, "name": name[:100], "errors": errors})
        else:
            valid.append((line, form))
    if result.errors:
        return result
    with transaction.atomic():
        for _line, form in valid:
            result.created.append(services.add_device(access, form.model_data(), secrets=form.secrets()))
        record(
            "device.imported",
            user=access.user,
            tenant=access.tenant,
            details={"file": filename[:200], "count": len(result.created)},
        )
    return result
