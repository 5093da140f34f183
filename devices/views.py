"""Device inventory pages (/t/<tenant>/devices/…, /t/<tenant>/credentials/…). All go through
TenantViewMixin: non-members 404, a role lacking `required_action` 403 on any change. Writes go
through devices.services, exactly as the API's do."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView, View

from devices import importer, services
from devices.alerts import demo as alert_demo
from devices.backups.services import schedule_label
from devices.filtersets import DeviceFilterSet
from devices.firmware.services import available_update, feed_latest
from devices.forms import CredentialProfileForm, DeviceForm, ImportForm
from devices.models import (
    ConnectivityCheck,
    CredentialProfile,
    Device,
    DeviceSample,
    DeviceStatus,
    InterfaceSample,
    WirelessSample,
)
from tenants.forms import apply_errors
from tenants.models import Site
from tenants.roles import Action
from tenants.views_base import TenantViewMixin

PAGE_SIZE = 50
SORTS = {
    "name": "name",
    "-name": "-name",
    "host": "host",
    "status": "status",
    "version": "ros_version",
    "-version": "-ros_version",
    "last_seen": "last_seen",
    "-last_seen": "-last_seen",
    "site": "site__name",
}


class DevicesMixin(TenantViewMixin):
    view_action = Action.VIEW
    required_action = Action.MANAGE_DEVICES
    section = "devices"

    def devices(self, action: Action = Action.VIEW):
        return Device.objects.restrict(self.access, action).select_related("site", "credential_profile")

    def device(self, action: Action = Action.VIEW) -> Device:
        return get_object_or_404(self.devices(action), pk=self.kwargs["device_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["device_status_labels"] = dict(DeviceStatus.choices)  # badges updated by static/js/live.js
        return context


class DeviceListView(DevicesMixin, TemplateView):
    template_name = "devices/list.html"
    title = "Devices"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        sort = params.get("sort", "name")
        filterset = DeviceFilterSet(params, queryset=self.devices())
        valid = filterset.is_valid()
        queryset = filterset.qs if valid else self.devices().none()
        queryset = queryset.order_by(SORTS.get(sort, "name"), "name")
        page = Paginator(queryset, PAGE_SIZE).get_page(params.get("page"))
        page.object_list = list(page.object_list)
        releases = feed_latest()
        for device in page.object_list:  # the "update available" marker
            device.available_update = available_update(device, releases)
        keep = {k: v for k, v in params.items() if k not in ("page",) and v}
        context.update(
            page=page,
            filter_errors=None if valid else filterset.errors,
            q=params.get("q", ""),
            status=params.get("status", ""),
            site=params.get("site", ""),
            tag=params.get("tag", ""),
            sort=sort,
            statuses=DeviceStatus.choices,
            sites=Site.objects.restrict(self.access, Action.VIEW_STRUCTURE),
            querystring=urlencode({k: v for k, v in keep.items() if k != "sort"}),
            page_querystring=urlencode(keep),
            filtered=any(params.get(k) for k in ("q", "status", "site", "tag")),
        )
        return context


class DeviceDetailView(DevicesMixin, TemplateView):
    template_name = "devices/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        device = self.device()
        context.update(
            device=device,
            title=device.name,
            events=list(device.events.order_by("-at")[:20]),
            check=device.checks.order_by("-created").first(),
            available_update=available_update(device),
            backup_schedule=schedule_label(device),
            simulator_index=alert_demo.simulated_index(device),  # the Simulator panel (alerts, issue 6)
        )
        context.update(self.chart_context(device))
        context.update(self.latest_context(device))
        return context

    # --- live dashboard: the latest sample (CPU, memory, interfaces, wireless clients) ---
    LATEST_INTERFACES = 64

    def latest_context(self, device: Device) -> dict:
        """The newest sample of the last day and the interface/wireless rows stored with it
        (the writer stamps all of a poll's rows with one ts)."""
        scope = {"tenant_id": device.tenant_id, "device_id": device.pk}
        latest = (
            DeviceSample.objects.filter(**scope, ts__gte=timezone.now() - timedelta(days=1))
            .order_by("-ts")
            .values("ts", "cpu", "mem_used", "mem_total")
            .first()
        )
        if latest is None:
            return {"latest": None, "latest_interfaces": [], "latest_wireless": None}
        interfaces = InterfaceSample.objects.filter(**scope, ts=latest["ts"]).order_by("ifname")
        wireless = WirelessSample.objects.filter(**scope, ts=latest["ts"]).values("clients", "signal_avg", "signal_min")
        total = latest["mem_total"]
        latest["mem_percent"] = round(100 * (latest["mem_used"] or 0) / total) if total else None
        return {
            "latest": latest,
            "latest_interfaces": list(
                interfaces.values("ifname", "running", "rx_bps", "tx_bps")[: self.LATEST_INTERFACES]
            ),
            "latest_wireless": wireless.first(),
        }

    # --- end live dashboard ---

    # --- charts: the browser draws them from the metrics API (static/js/device-charts.js) ---
    CHART_INTERFACES = 12

    def chart_context(self, device: Device) -> dict:
        """The metrics API URL, the interfaces seen in the last day, whether any sample exists."""
        since = timezone.now() - timedelta(days=7)
        scope = {"tenant_id": device.tenant_id, "device_id": device.pk}
        has_samples = DeviceSample.objects.filter(**scope, ts__gte=since).exists()
        interfaces = []
        if has_samples:
            day = timezone.now() - timedelta(days=1)
            names = (
                InterfaceSample.objects.filter(**scope, ts__gte=day)
                .order_by("ifname")
                .values_list("ifname", flat=True)
                .distinct()
            )
            # the API splits `series` on commas: such names cannot be asked for
            interfaces = [n for n in names if "," not in n][: self.CHART_INTERFACES]
        return {
            "metrics_url": reverse("device-metrics", kwargs={"tenant": self.tenant.slug, "pk": str(device.pk)}),
            "chart_interfaces": ",".join(interfaces),
            "has_samples": has_samples,
        }

    # --- end charts ---


class DeviceFormView(DevicesMixin, FormView):
    """Add (no device_id) or edit a device; admins only. Adding starts a connectivity check."""

    template_name = "devices/form.html"
    form_class = DeviceForm
    edit_page = True
    instance: Device | None = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "device_id" in self.kwargs and self.instance is None:
            self.instance = self.device(Action.MANAGE_DEVICES)
        kwargs.update(access=self.access, device=self.instance)
        if self.instance is not None and self.request.method == "GET":
            d = self.instance
            kwargs["initial"] = {
                **{
                    f: getattr(d, f)
                    for f in DeviceForm.base_fields
                    if hasattr(d, f) and f not in DeviceForm.secret_fields
                },
                "site": d.site_id,
                "credential_profile": d.credential_profile_id,
                "tags": " ".join(d.tags),
                "fallback_protocols": " ".join(d.fallback_protocols),
            }
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["device"] = self.instance
        context["title"] = f"Edit {self.instance.name}" if self.instance else "Add device"
        return context

    def form_valid(self, form):
        try:
            if self.instance is None:
                device, _check = services.add_device_and_check(self.access, form.model_data(), secrets=form.secrets())
                messages.success(self.request, f"Device “{device.name}” added; checking connectivity…")
            else:
                device = services.update_device(self.access, self.instance, form.model_data(), secrets=form.secrets())
                messages.success(self.request, f"Device “{device.name}” saved.")
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        return redirect("device-detail", self.tenant.slug, device.pk)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class DeviceRemoveView(DevicesMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        device = self.device(Action.MANAGE_DEVICES)
        services.remove_device(self.access, device)
        messages.success(request, f"Device “{device.name}” removed.")
        return redirect("device-list", self.tenant.slug)


class DeviceCheckView(DevicesMixin, View):
    """POST: start a connectivity check; htmx gets the polling status fragment, others a redirect."""

    required_action = Action.OPERATE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        device = self.device()
        check = services.request_check(self.access, device)
        if request.headers.get("HX-Request"):
            return CheckStatusView.fragment(request, self, check)
        messages.info(request, "Connectivity check started.")
        return redirect("device-detail", self.tenant.slug, device.pk)


class DeviceRetryView(DevicesMixin, View):
    required_action = Action.OPERATE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        device = services.retry_device(self.access, self.device())
        messages.success(request, f"“{device.name}” will be polled again now.")
        return redirect("device-detail", self.tenant.slug, device.pk)


class CheckStatusView(DevicesMixin, TemplateView):
    """The check's status fragment; it re-polls itself (htmx, every second) until done."""

    template_name = "devices/_check.html"

    @staticmethod
    def fragment(request, view, check):
        from django.template.response import TemplateResponse

        context = {"check": check, "tenant": view.tenant, "can": {"operate": view.access.allows(Action.OPERATE)}}
        response = TemplateResponse(request, CheckStatusView.template_name, context)
        return response.render()

    def get(self, request, *args, **kwargs):
        check = get_object_or_404(
            ConnectivityCheck.objects.restrict(self.access, Action.VIEW).select_related("device"),
            pk=kwargs["check_id"],
        )
        return self.fragment(request, self, check)


class DeviceImportView(DevicesMixin, FormView):
    template_name = "devices/import.html"
    form_class = ImportForm
    edit_page = True
    title = "Import devices"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = importer.COLUMNS
        return context

    def form_valid(self, form):
        upload = form.cleaned_data.get("file")
        raw = upload.read(importer.MAX_BYTES + 1) if upload else form.cleaned_data["text"]
        try:
            result = importer.import_devices(self.access, raw, filename=upload.name if upload else "")
        except importer.ImportError_ as exc:
            form = ImportForm()
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        if not result.ok:
            # a fresh form: the pasted CSV may hold passwords, which are never echoed back
            context = self.get_context_data(form=ImportForm(), result=result)
            response = self.render_to_response(context)
            response.status_code = 400
            return response
        messages.success(self.request, f"{len(result.created)} device(s) imported.")
        return redirect("device-list", self.tenant.slug)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


# --- credential profiles --------------------------------------------------------------------------


class CredentialListView(DevicesMixin, TemplateView):
    template_name = "devices/credentials.html"
    section = "credentials"
    title = "Credential profiles"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            profiles=CredentialProfile.objects.restrict(self.access).select_related("changed_by"),
            group_command=services.RECOMMENDED_GROUP_COMMAND,
            policies=services.RECOMMENDED_POLICIES,
            required=services.REQUIRED_POLICIES,
        )
        return context


class CredentialFormView(DevicesMixin, FormView):
    template_name = "devices/credential_form.html"
    form_class = CredentialProfileForm
    section = "credentials"
    edit_page = True
    profile: CredentialProfile | None = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "profile_id" in self.kwargs and self.profile is None:
            self.profile = get_object_or_404(
                CredentialProfile.objects.restrict(self.access), pk=self.kwargs["profile_id"]
            )
        kwargs.update(tenant=self.tenant, instance=self.profile or CredentialProfile(tenant=self.tenant))
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["profile"] = self.profile
        context["title"] = f"Edit {self.profile.name}" if self.profile else "Add credential profile"
        context["group_command"] = services.RECOMMENDED_GROUP_COMMAND
        return context

    def form_valid(self, form):
        data = {k: form.cleaned_data[k] for k in ("name", "username", "notes")}
        try:
            profile = services.save_profile(self.access, self.profile, data, secrets=form.secrets())
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Credential profile “{profile.name}” saved.")
        return redirect("credential-list", self.tenant.slug)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class CredentialDeleteView(DevicesMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        profile = get_object_or_404(CredentialProfile.objects.restrict(self.access), pk=kwargs["profile_id"])
        try:
            services.delete_profile(self.access, profile)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Credential profile “{profile.name}” deleted.")
        return redirect("credential-list", self.tenant.slug)
