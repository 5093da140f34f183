"""The push wizard (/t/<tenant>/push/): choose devices, write a script or template, preview what
each device would get, confirm — then the job page shows live progress. Writes go through the
job runner exactly as the API's do (admins only: `push_config`)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.views.generic import FormView

from devices.jobs import runner
from devices.jobs.views import job_started, run_form_action
from devices.models import BackupStatus, ConfigBackup, Device
from devices.push.forms import PushForm, RestoreForm
from devices.push.preview import preview_push
from tenants.roles import Action
from tenants.views_base import TenantViewMixin


class PushView(TenantViewMixin, FormView):
    """GET ?device=<id>&device=<id> preselects devices."""

    template_name = "push/push.html"
    form_class = PushForm
    view_action = Action.VIEW
    required_action = Action.PUSH_CONFIG
    edit_page = True
    section = "jobs"
    title = "Push config"

    def devices_qs(self):
        return Device.objects.restrict(self.access, Action.OPERATE).select_related("site").order_by("name")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["devices_qs"] = self.devices_qs()
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        wanted = []
        for raw in self.request.GET.getlist("device"):
            try:
                wanted.append(uuid.UUID(raw))
            except ValueError:
                continue
        if wanted:
            initial["devices"] = list(self.devices_qs().filter(pk__in=wanted).values_list("pk", flat=True))
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        devices = None if data["all_devices"] else [str(d.pk) for d in data["devices"]]

        def preview_or_push():
            if self.request.POST.get("step") != "push":
                preview = preview_push(
                    self.access, params=form.params(), devices=devices, all_devices=data["all_devices"]
                )
                return self.render_to_response(self.get_context_data(form=form, preview=preview))
            job = runner.start_job(
                self.access,
                "push",
                devices=devices,
                all_devices=data["all_devices"],
                params=form.params(),
                confirm=data["confirm"],
            )
            return job_started(self, job, f"Pushing to {job.total} device(s) with automatic rollback.")

        return run_form_action(self, form, preview_or_push, map_errors=_on_form_fields)


def _on_form_fields(exc: ValidationError) -> ValidationError:
    """The kind names the script `script`/`template`; the form has one `text` field."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = {("text" if name in ("script", "template") else name): errors for name, errors in exc.error_dict.items()}
    return ValidationError(renamed)


class RestoreView(TenantViewMixin, FormView):
    """/t/<tenant>/push/restore/<backup>/: put a stored backup version back on its device with
    the same rollback timer as a push (a restore job)."""

    template_name = "push/restore.html"
    form_class = RestoreForm
    view_action = Action.VIEW
    required_action = Action.PUSH_CONFIG
    edit_page = True
    section = "jobs"
    title = "Restore a config version"

    def backup(self):
        backups = ConfigBackup.objects.restrict(self.access, Action.VIEW).select_related("device")
        return get_object_or_404(backups, pk=self.kwargs["backup_id"], status=BackupStatus.OK)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["backup"] = self.backup()
        return context

    def form_valid(self, form):
        backup = self.backup()

        def restore():
            job = runner.start_job(
                self.access,
                "restore",
                devices=[str(backup.device_id)],
                params={"backup": str(backup.pk), "rollback_s": form.cleaned_data["rollback_s"]},
                confirm=form.cleaned_data["confirm"],
            )
            return job_started(self, job, f"Restoring {backup.device.name} with automatic rollback.")

        return run_form_action(self, form, restore)
