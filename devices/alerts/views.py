"""Alerting pages under /t/<tenant>/alerts/: alerts (list, detail with the metric chart around the
firing time), rules editor, channels with the delivery log and “send test”, maintenance windows.
Viewers see; operators acknowledge; admins edit rules, channels and windows (roles checked
again in devices.alerts.services)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from devices.models import Alert, AlertRule, Delivery, Device, MaintenanceWindow, NotificationChannel
from devices.models.alerts import AlertState, Severity
from tenants.models import Site
from tenants.roles import Action
from tenants.views_base import TenantViewMixin

from . import services
from .filtersets import AlertFilterSet
from .forms import ChannelForm, RuleForm, WindowForm

# alert kind -> (metrics API series, what the chart shows)
CHART_SERIES = {
    "offline": "cpu",
    "cpu": "cpu",
    "memory": "memory",
    "disk": "disk",
    "temperature": "temperature",
    "wireless_signal": "wireless",
    "wireless_clients": "wireless",
}


def apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class AlertsMixin(TenantViewMixin):
    view_action = Action.VIEW
    required_action = Action.MANAGE_ALERTS
    section = "alerts"

    def get_context_data(self, **kwargs):
        from . import demo

        context = super().get_context_data(**kwargs)
        # the Receiver tab only where a "Demo receiver" channel delivers to it (the demo tenant)
        receivers = NotificationChannel.objects.filter(tenant=self.tenant, name=demo.CHANNEL_NAME)
        context["has_receiver"] = receivers.exists()
        return context


class FormPage(AlertsMixin, FormView):
    """A form page of an admin-only object; 400 on invalid input."""

    template_name = "alerts/form.html"
    edit_page = True
    back = ""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["back_url"] = reverse(self.back, args=[self.tenant.slug])
        return context


# --- alerts ------------------------------------------------------------------------------------------
class AlertListView(AlertsMixin, TemplateView):
    template_name = "alerts/list.html"
    title = "Alerts"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        if "state" not in params and "open" not in params:
            params["open"] = "true"
        queryset = Alert.objects.restrict(self.access).select_related("rule", "device__site", "acknowledged_by")
        filtered = AlertFilterSet(params, queryset=queryset)
        context.update(
            alerts=filtered.qs.order_by("-started_at")[:200],
            counts=services.alert_counts(self.access),
            sites=Site.objects.filter(tenant=self.tenant).order_by("name"),
            states=AlertState.choices,
            severities=Severity.choices,
            chosen={k: params.getlist(k) for k in ("state", "severity")} | {"site": params.get("site", "")},
        )
        return context


class AlertDetailView(AlertsMixin, TemplateView):
    template_name = "alerts/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        alert = get_object_or_404(
            Alert.objects.restrict(self.access).select_related("rule", "device__site", "acknowledged_by"),
            pk=self.kwargs["alert_id"],
        )
        since = alert.started_at - timedelta(hours=1)
        until = (alert.resolved_at or alert.last_breach_at or alert.started_at) + timedelta(minutes=30)
        series = CHART_SERIES.get(alert.kind) or (f"interface:{alert.subject}" if alert.subject else "cpu")
        context.update(
            alert=alert,
            title=str(alert),
            deliveries=Delivery.objects.restrict(self.access).filter(alert=alert).select_related("channel"),
            chart={
                "url": reverse("device-metrics", kwargs={"tenant": self.tenant.slug, "pk": str(alert.device_id)}),
                "series": series,
                "kind": alert.kind,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "started": alert.started_at.timestamp(),
                "resolved": alert.resolved_at.timestamp() if alert.resolved_at else "",
                "threshold": "" if alert.threshold is None else alert.threshold,
            },
        )
        return context


class AlertAcknowledgeView(AlertsMixin, View):
    http_method_names = ["post"]
    required_action = Action.OPERATE

    def post(self, request, *args, **kwargs):
        alert = get_object_or_404(Alert.objects.restrict(self.access).select_related("rule"), pk=kwargs["alert_id"])
        try:
            services.acknowledge(self.access, alert)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Alert acknowledged.")
        return redirect("alert-detail", self.tenant.slug, alert.pk)


# --- rules -------------------------------------------------------------------------------------------
class RuleListView(AlertsMixin, TemplateView):
    template_name = "alerts/rules.html"
    title = "Alert rules"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rules"] = AlertRule.objects.restrict(self.access).order_by("name")
        context["site_names"] = dict(Site.objects.filter(tenant=self.tenant).values_list("pk", "name"))
        return context


class RuleFormView(FormPage):
    form_class = RuleForm
    back = "alert-rules"
    rule: AlertRule | None = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "rule_id" in self.kwargs and self.rule is None:
            self.rule = get_object_or_404(AlertRule.objects.restrict(self.access), pk=self.kwargs["rule_id"])
        if self.rule is not None and self.request.method == "GET":
            r = self.rule
            kwargs["initial"] = {
                "name": r.name,
                "kind": r.kind,
                "threshold": r.threshold,
                "duration": r.duration,
                "clear_after": r.clear_after,
                "severity": r.severity,
                "enabled": r.enabled,
                "interface": r.interface,
                "sites": r.sites,
                "tags": ", ".join(r.tags),
            }
        kwargs["tenant"] = self.tenant
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = f"Edit rule {self.rule.name}" if self.rule else "Add alert rule"
        return context

    def form_valid(self, form):
        try:
            rule = services.save_rule(self.access, self.rule, form.values())
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Rule “{rule.name}” saved.")
        return redirect("alert-rules", self.tenant.slug)


class RuleDeleteView(AlertsMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        rule = get_object_or_404(AlertRule.objects.restrict(self.access), pk=kwargs["rule_id"])
        services.delete_rule(self.access, rule)
        messages.success(request, f"Rule “{rule.name}” deleted.")
        return redirect("alert-rules", self.tenant.slug)


# --- channels ----------------------------------------------------------------------------------------
class ChannelListView(AlertsMixin, TemplateView):
    template_name = "alerts/channels.html"
    title = "Notification channels"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["channels"] = NotificationChannel.objects.restrict(self.access).order_by("name")
        context["deliveries"] = (
            Delivery.objects.restrict(self.access)
            .select_related("channel", "alert__rule", "alert__device")
            .order_by("-created")[:50]
        )
        return context


class ChannelFormView(FormPage):
    form_class = ChannelForm
    back = "alert-channels"
    channel: NotificationChannel | None = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "channel_id" in self.kwargs and self.channel is None:
            self.channel = get_object_or_404(
                NotificationChannel.objects.restrict(self.access), pk=self.kwargs["channel_id"]
            )
        if self.channel is not None and self.request.method == "GET":
            c = self.channel
            kwargs["initial"] = {
                "name": c.name,
                "kind": c.kind,
                "enabled": c.enabled,
                "min_severity": c.min_severity,
                "notify_resolved": c.notify_resolved,
                "recipients": ", ".join(c.recipients),
            }
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = f"Edit channel {self.channel.name}" if self.channel else "Add notification channel"
        if self.channel is not None:
            context["note"] = (
                f"URL {'set' if self.channel.url is not None else 'not set'}, "
                f"secret {'set' if self.channel.secret is not None else 'not set'} (write-only)."
            )
        return context

    def form_valid(self, form):
        data, secrets = form.values()
        try:
            channel = services.save_channel(self.access, self.channel, data, secrets)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Channel “{channel.name}” saved.")
        return redirect("alert-channels", self.tenant.slug)


class ChannelDeleteView(AlertsMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        channel = get_object_or_404(NotificationChannel.objects.restrict(self.access), pk=kwargs["channel_id"])
        services.delete_channel(self.access, channel)
        messages.success(request, f"Channel “{channel.name}” deleted.")
        return redirect("alert-channels", self.tenant.slug)


class ChannelTestView(AlertsMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        channel = get_object_or_404(NotificationChannel.objects.restrict(self.access), pk=kwargs["channel_id"])
        services.send_test(self.access, channel)
        messages.success(request, f"Test notification queued for “{channel.name}”: see the delivery log below.")
        return redirect("alert-channels", self.tenant.slug)


# --- maintenance windows -------------------------------------------------------------------------------
class WindowListView(AlertsMixin, TemplateView):
    template_name = "alerts/windows.html"
    title = "Maintenance windows"

    def get_context_data(self, **kwargs):
        from django.utils import timezone

        context = super().get_context_data(**kwargs)
        windows = list(
            MaintenanceWindow.objects.restrict(self.access).select_related("site", "device").order_by("name")
        )
        now = timezone.now()
        for window in windows:
            window.active_now = window.active_at(now)
        context["windows"] = windows
        return context


class WindowFormView(FormPage):
    form_class = WindowForm
    back = "alert-windows"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(tenant=self.tenant, devices=Device.objects.restrict(self.access).order_by("name"))
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = "Add maintenance window"
        return context

    def form_valid(self, form):
        try:
            window = services.save_window(self.access, None, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Maintenance window “{window.name}” saved.")
        return redirect("alert-windows", self.tenant.slug)


class WindowDeleteView(AlertsMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        window = get_object_or_404(MaintenanceWindow.objects.restrict(self.access), pk=kwargs["window_id"])
        services.delete_window(self.access, window)
        messages.success(request, f"Maintenance window “{window.name}” deleted.")
        return redirect("alert-windows", self.tenant.slug)


# --- the newcomer's loop in `make run` (devices/alerts/demo.py) -----------------------------------------
class SimulatorFaultView(AlertsMixin, View):
    """The device page's Simulator panel: fail or heal a simulated demo router (admins)."""

    http_method_names = ["post"]
    required_action = Action.MANAGE_DEVICES

    def post(self, request, *args, **kwargs):
        from . import demo

        device = get_object_or_404(Device.objects.restrict(self.access), pk=kwargs["device_id"])
        fault = request.POST.get("fault") or None
        try:
            demo.set_fault(self.access, device, fault)
        except ValidationError as exc:
            return _bad(request, exc)
        if fault:
            messages.success(
                request,
                f"{device.name} is now “{fault}” in the simulator: its next poll sees it, the offline rule fires "
                "and the alert is delivered (see Alerts → Receiver).",
            )
        else:
            messages.success(
                request, f"{device.name} is healthy again in the simulator: the alert resolves at its next poll."
            )
        return redirect("device-detail", self.tenant.slug, device.pk)


def _bad(request, exc: ValidationError):
    from django.http import HttpResponseBadRequest

    return HttpResponseBadRequest(" ".join(exc.messages))


class ReceiverView(AlertsMixin, TemplateView):
    """What the platform's demo webhook receiver got for this tenant (signature checked)."""

    template_name = "alerts/receiver.html"
    title = "Webhook receiver"

    def get_context_data(self, **kwargs):
        from datetime import UTC, datetime

        from . import demo

        context = super().get_context_data(**kwargs)
        rows = demo.received(self.tenant.pk)
        for row in rows:
            row["received_at"] = datetime.fromtimestamp(row["received"], UTC)
        context.update(tab="receiver", received=rows, channel_name=demo.CHANNEL_NAME, keep=demo.RECEIVED_KEEP)
        return context
