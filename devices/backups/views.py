"""Config backup pages under /t/<tenant>/: a device's backups (timeline + runs), one version,
diffs (side by side or unified), download, the fleet's changes since a date, the policy.

All go through TenantViewMixin (non-members 404; POSTs need the role). The verbs are in
services.py, shared with the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.generic import FormView, TemplateView, View

from audit.services import record
from devices.backups import services
from devices.backups.api.views import REVEAL_ACTION, download_name
from devices.models import BackupPolicy, BackupStatus, ConfigBackup, Device
from tenants.roles import Action
from tenants.views_base import TenantViewMixin

RUNS_SHOWN = 200
TIMELINE_W, TIMELINE_H, TIMELINE_PAD = 900, 56, 16


class BackupsMixin(TenantViewMixin):
    view_action = Action.VIEW
    required_action = Action.OPERATE
    section = "devices"

    def backups(self):
        return ConfigBackup.objects.restrict(self.access, Action.VIEW).select_related(
            "device", "triggered_by", "binary"
        )

    def version(self, pk) -> ConfigBackup:
        return get_object_or_404(self.backups().select_related("blob"), pk=pk)

    @property
    def reveal(self) -> bool:
        return self.access.allows(REVEAL_ACTION)


def timeline(runs: list[ConfigBackup], now=None) -> dict:
    """Dots on a time axis (SVG coordinates computed here: the page needs no script)."""
    now = now or timezone.now()
    if not runs:
        return {"dots": [], "width": TIMELINE_W, "height": TIMELINE_H}
    start = min(r.taken_at for r in runs)
    span = max((now - start).total_seconds(), 3600.0)
    usable = TIMELINE_W - 2 * TIMELINE_PAD
    dots = []
    for run in runs:
        x = TIMELINE_PAD + usable * (run.taken_at - start).total_seconds() / span
        kind = "failed" if run.status == BackupStatus.FAILED else "changed" if run.changed else "unchanged"
        dots.append({"x": round(x, 1), "kind": kind, "run": run})
    ticks = []
    for k in range(5):
        at = start + timedelta(seconds=span * k / 4)
        ticks.append({"x": round(TIMELINE_PAD + usable * k / 4, 1), "label": at.strftime("%m-%d %H:%M")})
    return {"dots": dots, "ticks": ticks, "width": TIMELINE_W, "height": TIMELINE_H, "axis_y": TIMELINE_H - 22}


class DeviceBackupsView(BackupsMixin, TemplateView):
    """A device's "Backups" tab: the timeline and every run."""

    template_name = "devices/backups/device.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        device = get_object_or_404(Device.objects.restrict(self.access, Action.VIEW), pk=self.kwargs["device_id"])
        runs = list(self.backups().filter(device=device).order_by("-taken_at")[:RUNS_SHOWN])
        for run in runs:
            run.binary_artefact = services.binary_of(run)
        context.update(
            device=device,
            title=f"{device.name}: backups",
            runs=runs,
            timeline=timeline(list(reversed(runs))),
            versions=sum(1 for r in runs if r.changed),
        )
        return context


class BackupNowView(BackupsMixin, View):
    """POST: "back up now" (operator+); the run appears on the timeline when the worker is done."""

    def post(self, request, *args, **kwargs):
        device = get_object_or_404(Device.objects.restrict(self.access, Action.OPERATE), pk=self.kwargs["device_id"])
        services.request_backup(self.access, device)
        messages.success(request, f"Backup of {device.name} queued: reload in a moment to see it.")
        return redirect("device-backups", self.tenant.slug, device.pk)


class BackupDetailView(BackupsMixin, TemplateView):
    template_name = "devices/backups/version.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        backup = self.version(self.kwargs["backup_id"])
        text = services.backup_text(backup, reveal_secrets=self.reveal) if backup.ok else ""
        context.update(
            backup=backup,
            device=backup.device,
            title=f"{backup.device.name} at {backup.taken_at:%Y-%m-%d %H:%M}",
            lines=text.splitlines(),
            masked=backup.sensitive and not self.reveal,
            can_download=backup.ok and (self.reveal or not backup.sensitive),
            previous=services.previous_version(backup) if backup.ok else None,
        )
        return context


class BackupDiffView(BackupsMixin, TemplateView):
    """?against=<id> (default: the previous good version) &mode=side|unified."""

    template_name = "devices/backups/diff.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        new = self.version(self.kwargs["backup_id"])
        against = self.request.GET.get("against", "")
        if not new.ok:
            raise Http404("This backup failed; it has no content.")
        try:
            old = self.version(against) if against else services.previous_version(new)
        except Exception as exc:  # a malformed id is a missing version, not a 500
            raise Http404("No such backup.") from exc
        if old is not None and not old.ok:
            raise Http404("That backup failed; it has no content.")
        mode = "unified" if self.request.GET.get("mode") == "unified" else "side"
        old_text = services.backup_text(old, reveal_secrets=self.reveal) if old else ""
        new_text = services.backup_text(new, reveal_secrets=self.reveal)
        unified = services.unified_diff(old, new, reveal_secrets=self.reveal)
        added, removed = services.diff_stats(unified)
        others = (
            self.backups().filter(device=new.device, status=BackupStatus.OK, changed=True).order_by("-taken_at")[:50]
        )
        context.update(
            old=old,
            new=new,
            device=new.device,
            title=f"{new.device.name}: diff",
            mode=mode,
            rows=services.side_by_side(old_text, new_text) if mode == "side" else None,
            unified_lines=[(line[:1], line.rstrip("\n")) for line in unified.splitlines()]
            if mode == "unified"
            else None,
            added=added,
            removed=removed,
            others=others,
            masked=(new.sensitive or (old is not None and old.sensitive)) and not self.reveal,
        )
        return context


class BackupDownloadView(BackupsMixin, View):
    def get(self, request, *args, **kwargs):
        backup = self.version(self.kwargs["backup_id"])
        if not backup.ok:
            raise Http404("This backup failed; there is nothing to download.")
        if backup.sensitive and not self.reveal:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("This version holds secrets: only admins may download it.")
        text = services.download_text(backup)
        record("backup.downloaded", tenant=self.tenant, target=backup.device, details={"backup": str(backup.pk)})
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{download_name(backup)}"'
        return response


class BinaryDownloadView(BackupsMixin, View):
    """A run's binary `.backup` file: admins only (it holds every secret of the router), audited."""

    required_action = REVEAL_ACTION
    edit_page = True  # a GET that hands out secrets: the same right as changing things

    def get(self, request, *args, **kwargs):
        backup = self.version(self.kwargs["backup_id"])
        binary = services.binary_of(backup)
        if binary is None or not binary.ok:
            raise Http404("This run has no binary backup.")
        data = services.binary_bytes(binary)
        record(
            "backup.binary_downloaded",
            tenant=self.tenant,
            target=backup.device,
            details={"backup": str(backup.pk), "sha256": binary.sha256},
        )
        response = HttpResponse(data, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{services.binary_name(backup)}"'
        return response


class FleetChangesView(BackupsMixin, TemplateView):
    """What changed across the fleet since a date (default: 7 days ago)."""

    template_name = "devices/backups/changes.html"
    title = "Config changes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        raw = self.request.GET.get("since", "").strip()
        since, error = None, ""
        if raw:
            try:
                parsed_dt = parse_datetime(raw) if "T" in raw or " " in raw else None
                parsed_day = parse_date(raw) if parsed_dt is None else None
                if parsed_dt is not None:
                    since = parsed_dt.astimezone(UTC) if timezone.is_aware(parsed_dt) else parsed_dt.replace(tzinfo=UTC)
                elif parsed_day is not None:
                    since = datetime(parsed_day.year, parsed_day.month, parsed_day.day, tzinfo=UTC)
            except (ValueError, OverflowError):
                since = None
            if since is None:
                error = "Give a date (2026-11-01) or a date and time (2026-11-01T08:00)."
        if since is None:
            since = timezone.now() - timedelta(days=7)
        changes = services.fleet_changes(self.backups(), since, reveal_secrets=self.reveal)
        context.update(since=since, since_value=since.strftime("%Y-%m-%d"), changes=changes, error=error)
        return context


class PolicyForm(forms.ModelForm):
    binary_password = forms.CharField(
        required=False,
        strip=False,
        max_length=64,
        label="Binary backup password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Optional: RouterOS encrypts the .backup file with it (needed again to load it). Empty: keep "
        "the stored one (none: saved with dont-encrypt=yes).",
    )
    clear_binary_password = forms.BooleanField(required=False, label="Remove the binary backup password")

    class Meta:
        model = BackupPolicy
        fields = [
            "interval_hours",
            "keep_last",
            "keep_daily_days",
            "keep_all_changes",
            "show_sensitive",
            "git_mirror",
            "binary_backup",
        ]

    def clean_binary_password(self):
        return services.clean_binary_password(self.cleaned_data.get("binary_password", ""))

    def changes(self) -> dict:
        """What to save: changed fields, and the password only when typed or removed."""
        out = {name: self.cleaned_data[name] for name in self.changed_data if name in self.Meta.fields}
        if self.cleaned_data.get("clear_binary_password"):
            out["binary_password"] = ""
        elif self.cleaned_data.get("binary_password"):
            out["binary_password"] = self.cleaned_data["binary_password"]
        return out


class BackupPolicyView(BackupsMixin, FormView):
    """The tenant's backup policy: everyone reads it, admins change it."""

    template_name = "devices/backups/policy.html"
    form_class = PolicyForm
    required_action = Action.MANAGE_DEVICES
    title = "Backup policy"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = services.policy_for(self.tenant.id)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["policy_password_set"] = services.policy_for(self.tenant.id).binary_password is not None
        return context

    def form_valid(self, form):
        policy = services.policy_for(self.tenant.id)
        try:
            services.save_policy(self.access, policy, form.changes())
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Backup policy saved.")
        return redirect("backup-policy", self.tenant.slug)
