"""The upgrade planner (/t/<tenant>/upgrades/): every device's installed vs latest RouterOS by
channel; choose devices (list, site, tag) and the waves, preview the plan, confirm → an
`upgrade` job (its page shows each device's progress live). Everyone who may see devices sees
the overview; previewing and starting are for admins (an upgrade reboots routers), checked here
and again by the runner."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import FormView, View

from devices.firmware.forms import UpgradePlanForm
from devices.firmware.services import available_update, channel_of, devices_for, feed_latest, plan_upgrade
from devices.jobs import runner
from devices.jobs.upgrade_kind import prepare
from devices.jobs.views import job_started, run_form_action
from devices.models import Device
from tenants.models import Site
from tenants.roles import Action
from tenants.views_base import TenantViewMixin

OVERVIEW_MAX = 2000  # devices listed on the page (the counts cover all)


class UpgradePlannerView(TenantViewMixin, FormView):
    template_name = "firmware/planner.html"
    form_class = UpgradePlanForm
    view_action = Action.VIEW
    required_action = Action.DANGEROUS
    section = "jobs"
    title = "Upgrade planner"

    def devices_qs(self):
        return Device.objects.restrict(self.access, Action.OPERATE).select_related("site").order_by("name")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["devices_qs"] = self.devices_qs()
        kwargs["sites_qs"] = Site.objects.restrict(self.access, Action.VIEW_STRUCTURE)
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        wanted = self.request.GET.getlist("device")
        if wanted:
            initial["devices"] = list(self.devices_qs().filter(pk__in=_uuids(wanted)).values_list("pk", flat=True))
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        releases = feed_latest()
        overview = []
        groups: Counter = Counter()
        for device in Device.objects.restrict(self.access, Action.VIEW).select_related("site").order_by("name"):
            update = available_update(device, releases)
            groups[(channel_of(device), device.ros_version or "?", update.latest if update else "")] += 1
            if len(overview) < OVERVIEW_MAX:
                overview.append((device, update))
        context.update(
            overview=overview,
            groups=sorted(groups.items()),
            may_upgrade=self.access.allows(Action.DANGEROUS),
            waves=kwargs.get("waves"),
            summary=kwargs.get("summary", ""),
        )
        return context

    def form_valid(self, form):
        def preview_or_start():
            prepared = prepare(form.params(), self.access)
            chosen = devices_for(self.access, all_devices=not any(form.selection().values()), **form.selection())
            if not form.cleaned_data.get("confirm") or "preview" in self.request.POST:
                if "preview" not in self.request.POST:
                    form.add_error("confirm", "The routers will reboot: tick this to start the upgrade.")
                waves = plan_upgrade(self.access, chosen, prepared.params)
                return self.render_to_response(self.get_context_data(form=form, waves=waves, summary=prepared.summary))
            job = runner.start_job(
                self.access,
                "upgrade",
                devices=[str(d.pk) for d in chosen],
                params=form.params(),
                confirm=True,
            )
            return job_started(self, job, f"Upgrade started on {job.total} device(s): {job.summary}.")

        return run_form_action(self, form, preview_or_start)


class UpdateCheckView(TenantViewMixin, View):
    """ "Check for updates" (operators): every chosen device (`device` ids posted; none: all it
    may act on) asks its channel for the latest version; nothing is installed."""

    view_action = Action.VIEW
    required_action = Action.OPERATE
    section = "jobs"

    def post(self, request, *args, **kwargs):
        wanted = [str(u) for u in _uuids(request.POST.getlist("device"))]
        try:
            job = runner.start_job(self.access, "update_check", devices=wanted or None, all_devices=not wanted)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("upgrade-planner", self.tenant.slug)
        messages.success(request, f"Checking {job.total} device(s) for updates.")
        return redirect("job-detail", self.tenant.slug, job.pk)


def _uuids(raw: list[str]) -> list:
    import uuid

    out = []
    for value in raw:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return out
