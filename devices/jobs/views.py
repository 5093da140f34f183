"""Jobs pages (/t/<tenant>/jobs/…): list, detail with live progress (htmx polls a partial every
1.5 s while the job runs), cancel, retry failed, and the "Run command" form reached from the
device list's selection and the device page. Writes go through devices.jobs.runner, exactly as
the API's do; TenantViewMixin gives 404 to non-members and 403 to a role that may not change."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import FormView, TemplateView, View

from devices.jobs import runner
from devices.jobs.commands import danger_of, parse_command
from devices.jobs.forms import RunCommandForm
from devices.models import Device, Job
from devices.push.results import PUSH_KINDS, diff_links
from tenants.forms import apply_errors
from tenants.roles import Action
from tenants.views_base import TenantViewMixin

PAGE_SIZE = 50
DEVICE_CHOICES_MAX = 5000


def run_form_action(view, form, action, *, context: dict | None = None, map_errors=None):
    """The response of `action()` (a form page starting or previewing a job), or the page again
    with the errors on the form: a ValidationError on its fields, a PermissionDenied (the role
    may not) as a form error with status 403."""
    try:
        return action()
    except ValidationError as exc:
        apply_errors(form, map_errors(exc) if map_errors else exc)
        status = 200
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        status = 403
    return view.render_to_response(view.get_context_data(form=form, **(context or {})), status=status)


def job_started(view, job: Job, message: str):
    """After starting a job from a page: say so and show the job's live progress."""
    messages.success(view.request, message)
    return redirect("job-detail", view.tenant.slug, job.pk)


class JobsMixin(TenantViewMixin):
    view_action = Action.VIEW
    required_action = Action.OPERATE
    section = "jobs"

    def job(self) -> Job:
        jobs = Job.objects.restrict(self.access).select_related("created_by")
        return get_object_or_404(jobs, pk=self.kwargs["job_id"])


class JobListView(JobsMixin, TemplateView):
    template_name = "jobs/list.html"
    title = "Jobs"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        jobs = Job.objects.restrict(self.access).select_related("created_by").order_by("-created")
        context["page"] = Paginator(jobs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return context


class JobDetailView(JobsMixin, TemplateView):
    template_name = "jobs/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.job()
        rows = list(job.rows.order_by("device_name"))
        if job.kind in PUSH_KINDS:  # link each pushed device's "what changed" diff
            links = diff_links(rows)
            for row in rows:
                row.diff_link = links.get(row.pk)
        hold = ""
        if job.kind == "upgrade":  # rows held back until their window opens or the start time
            from devices.jobs.upgrade_kind import SCHEDULED, WAITING, hold_text

            hold = hold_text(job)
            for row in rows:
                if row.state == "queued" and row.reason.startswith(WAITING):
                    row.held_label = "waiting for window"
                elif row.state == "queued" and row.reason.startswith(SCHEDULED):
                    row.held_label = "scheduled"
        context.update(job=job, rows=rows, hold=hold, title=f"Job: {job.summary}")
        return context


class JobProgressView(JobDetailView):
    """The live part of the detail page (progress bar + rows), for htmx polling."""

    template_name = "jobs/_progress.html"


class JobCancelView(JobsMixin, View):
    def post(self, request, *args, **kwargs):
        job = self.job()
        try:
            runner.cancel_job(self.access, job)
            messages.success(request, "Job cancelled: queued devices will not run; running ones finish.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("job-detail", self.tenant.slug, job.pk)


class JobRetryView(JobsMixin, View):
    def post(self, request, *args, **kwargs):
        job = self.job()
        try:
            runner.retry_failed(self.access, job)
            messages.success(request, "Retrying the failed devices.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("job-detail", self.tenant.slug, job.pk)


class JobResumeView(JobsMixin, View):
    """A paused upgrade's next wave (admins: the runner's rule; 403 for the others here)."""

    required_action = Action.DANGEROUS

    def post(self, request, *args, **kwargs):
        from devices.jobs.upgrade_kind import resume_upgrade

        job = self.job()
        try:
            resume_upgrade(self.access, job)
            messages.success(request, "Upgrade resumed: the next wave starts.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("job-detail", self.tenant.slug, job.pk)


class RunCommandView(JobsMixin, FormView):
    """GET ?device=<id>&device=<id> preselects devices (the device list's bulk selection)."""

    template_name = "jobs/run_command.html"
    form_class = RunCommandForm
    edit_page = True
    title = "Run command"

    def devices_qs(self):
        return Device.objects.restrict(self.access, Action.OPERATE).select_related("site").order_by("name")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["devices_qs"] = self.devices_qs()
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        wanted = self.request.GET.getlist("device")
        if wanted:
            initial["devices"] = self._visible(wanted)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["too_many_devices"] = self.devices_qs().count() > DEVICE_CHOICES_MAX
        context.setdefault("danger", "")
        return context

    def post(self, request, *args, **kwargs):
        if "command" not in request.POST:  # the device list's "Run command on selected…" button
            initial = {"devices": self._visible(request.POST.getlist("device"))}
            form = self.form_class(initial=initial, devices_qs=self.devices_qs())
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def _visible(self, raw_ids: list[str]) -> list:
        valid = []
        for raw in raw_ids:
            try:
                valid.append(uuid.UUID(raw))
            except ValueError:
                continue
        return list(self.devices_qs().filter(pk__in=valid).values_list("pk", flat=True))

    def form_valid(self, form):
        data = form.cleaned_data

        def start():
            job = runner.start_job(
                self.access,
                "command",
                devices=None if data["all_devices"] else [str(d.pk) for d in data["devices"]],
                all_devices=data["all_devices"],
                params={"command": data["command"], "via": data.get("via") or "api"},
                confirm=data["confirm"],
            )
            return job_started(self, job, f"Running “{job.summary}” on {job.total} device(s).")

        return run_form_action(self, form, start, context={"danger": self._danger(data["command"])})

    @staticmethod
    def _danger(command: str) -> str:
        try:
            return danger_of(parse_command(command))
        except ValidationError:
            return ""
