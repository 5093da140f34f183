"""Pages inside one tenant (/t/<tenant>/…): dashboard, sites, members. All go through
TenantViewMixin, which 404s non-members and 403s a role lacking `required_action`."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView, TemplateView, View

from tenants import services
from tenants.forms import MemberAddForm, MemberEditForm, SiteForm, apply_errors
from tenants.models import EncryptedTOTPDevice, Membership, MembershipSite, Site
from tenants.roles import Action
from tenants.views_base import TenantViewMixin


def device_count(access) -> int | None:
    """Devices the user can see, once the devices app has a Device model (None until then)."""
    try:
        model = apps.get_model("devices", "Device")
    except LookupError:
        return None
    return model.objects.restrict(access, Action.VIEW).count()


# --- inventory (issue 4): device counts by status on the dashboard ---
def device_status_counts(access) -> list[tuple[str, str, int]]:
    """(status, label, count) of the devices the user can see, every status listed."""
    from django.db.models import Count

    from devices.models import Device, DeviceStatus

    counts = dict(Device.objects.restrict(access, Action.VIEW).values_list("status").annotate(n=Count("id")).order_by())
    return [(value, label, counts.get(value, 0)) for value, label in DeviceStatus.choices]


# --- end inventory ---


# --- charts: "Top CPU" and "Recent events" dashboard cards ---
TOP_CPU_WINDOW_MINUTES = 30  # "latest" = the newest sample within this window (keeps the scan small)


def top_cpu(access, limit: int = 5) -> list[dict]:
    """The `limit` visible devices with the highest latest CPU load (site scope applies)."""
    from datetime import timedelta

    from django.utils import timezone

    from devices.models import Device, DeviceSample

    since = timezone.now() - timedelta(minutes=TOP_CPU_WINDOW_MINUTES)
    latest = list(
        DeviceSample.objects.restrict(access, Action.VIEW)
        .filter(ts__gte=since, cpu__isnull=False)
        .order_by("device_id", "-ts")
        .distinct("device_id")
        .values_list("device_id", "cpu", "ts")
    )
    latest.sort(key=lambda row: (-row[1], str(row[0])))
    devices = Device.objects.restrict(access, Action.VIEW).select_related("site").in_bulk([row[0] for row in latest])
    rows = [{"device": devices[d], "cpu": cpu, "ts": ts} for d, cpu, ts in latest if d in devices]
    return rows[:limit]


TOP_TRAFFIC_WINDOW_MINUTES = 10  # a few poll intervals: "current" rates, and a small scan


def top_traffic(access, limit: int = 5) -> list[dict]:
    """The `limit` interfaces (of visible devices) with the highest rx+tx rate in their latest
    sample of the last TOP_TRAFFIC_WINDOW_MINUTES (site scope applies, via `restrict`).

    The newest row per (device, interface) and the ordering by rate run in PostgreSQL: the
    scoped queryset becomes a sub-select, so only `limit` rows come back however big the fleet."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from devices.models import Device, InterfaceSample

    since = timezone.now() - timedelta(minutes=TOP_TRAFFIC_WINDOW_MINUTES)
    latest = (
        InterfaceSample.objects.restrict(access, Action.VIEW)
        .filter(ts__gte=since)
        .order_by("device_id", "ifname", "-ts")
        .distinct("device_id", "ifname")
        .values("device_id", "ifname", "rx_bps", "tx_bps", "running", "ts")
    )
    sql, params = latest.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM ({sql}) AS latest WHERE coalesce(rx_bps, 0) + coalesce(tx_bps, 0) > 0 "  # noqa: S608
            "ORDER BY coalesce(rx_bps, 0) + coalesce(tx_bps, 0) DESC, device_id, ifname LIMIT %s",
            [*params, limit],
        )
        rows = cursor.fetchall()
    devices = Device.objects.restrict(access, Action.VIEW).select_related("site").in_bulk([r[0] for r in rows])
    return [
        {"device": devices[d], "ifname": ifname, "rx_bps": rx or 0, "tx_bps": tx or 0, "running": up, "ts": ts}
        for d, ifname, rx, tx, up, ts in rows
        if d in devices
    ]


def recent_events(access, limit: int = 10):
    from devices.models import DeviceEvent

    return list(DeviceEvent.objects.restrict(access, Action.VIEW).select_related("device").order_by("-at")[:limit])


# --- end charts ---


class DashboardView(TenantViewMixin, TemplateView):
    template_name = "tenant/dashboard.html"
    section = "dashboard"
    title = "Dashboard"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sites = Site.objects.restrict(self.access, Action.VIEW_STRUCTURE)
        context.update(
            sites=sites,
            site_count=sites.count(),
            member_count=Membership.objects.filter(tenant=self.tenant).count(),
            devices=device_count(self.access) if self.access.allows(Action.VIEW) else None,
            reads_tenant_data=self.access.allows(Action.VIEW),
        )
        if self.access.allows(Action.VIEW):  # inventory (issue 4)
            context["device_statuses"] = device_status_counts(self.access)
            context["devices_online"] = next(n for s, _, n in context["device_statuses"] if s == "online")
            context["top_cpu"] = top_cpu(self.access)  # charts
            context["top_traffic"] = top_traffic(self.access)  # live dashboard
            context["device_status_labels"] = {value: label for value, label, _ in context["device_statuses"]}  # live
            context["recent_events"] = recent_events(self.access)  # charts
        return context


# --- Sites -------------------------------------------------------------------------------------


class SiteListView(TenantViewMixin, TemplateView):
    template_name = "tenant/sites.html"
    section = "sites"
    title = "Sites"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sites"] = Site.objects.restrict(self.access, Action.VIEW_STRUCTURE)
        return context


class SiteFormView(TenantViewMixin, FormView):
    """Create (no site_id) or edit a site; admins and the platform role only."""

    template_name = "tenant/site_form.html"
    form_class = SiteForm
    section = "sites"
    edit_page = True
    required_action = Action.MANAGE_STRUCTURE
    site: Site | None = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        site_id = self.kwargs.get("site_id")
        if site_id is not None and self.site is None:
            self.site = get_object_or_404(Site.objects.restrict(self.access, Action.MANAGE_STRUCTURE), pk=site_id)
        kwargs["tenant"] = self.tenant
        kwargs["instance"] = self.site or Site(tenant=self.tenant)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["site"] = self.site
        context["title"] = f"Edit {self.site.name}" if self.site else "Add site"
        return context

    def form_valid(self, form):
        site = form.save()  # audit's model signals record site.created / site.changed (UI and API alike)
        messages.success(self.request, f"Site “{site.name}” {'saved' if self.site else 'added'}.")
        return redirect("tenant-sites", self.tenant.slug)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


# --- Members -----------------------------------------------------------------------------------


def _members(tenant):
    """Memberships with their site names (site links are RLS rows: the tenant is active)."""
    memberships = list(Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__username"))
    links: dict = {}
    for link in MembershipSite.objects.filter(membership__tenant=tenant).select_related("site"):
        links.setdefault(link.membership_id, []).append(link.site.name)
    with_2fa = set(
        EncryptedTOTPDevice.objects.filter(confirmed=True, user__memberships__tenant=tenant).values_list(
            "user_id", flat=True
        )
    )
    for membership in memberships:
        membership.site_names = sorted(links.get(membership.pk, []))
        membership.has_2fa = membership.user_id in with_2fa
    return memberships


class MemberListView(TenantViewMixin, TemplateView):
    template_name = "tenant/members.html"
    section = "members"
    title = "Members"
    required_action = Action.MANAGE_USERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = _members(self.tenant)
        return context


class MemberAddView(TenantViewMixin, FormView):
    template_name = "tenant/member_form.html"
    form_class = MemberAddForm
    section = "members"
    title = "Add member"
    edit_page = True
    required_action = Action.MANAGE_USERS

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "tenant": self.tenant}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            membership, password = services.invite_or_create_user(
                self.tenant,
                data["username"],
                data["role"],
                list(data["sites"]),
                by=self.request.user,
                email=data.get("email") or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        name = membership.user.username
        if password is None:
            messages.success(self.request, f"{name} is now {membership.role} in {self.tenant.name}.")
            return redirect("tenant-members", self.tenant.slug)
        # A new account: its generated password is in this response only.
        context = self.get_context_data(form=None, created_user=membership.user, password=password)
        context["title"] = "Member added"
        return self.render_to_response(context)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class MemberEditView(TenantViewMixin, FormView):
    template_name = "tenant/member_form.html"
    form_class = MemberEditForm
    section = "members"
    edit_page = True
    required_action = Action.MANAGE_USERS
    membership: Membership

    def get_form_kwargs(self):
        self.membership = get_object_or_404(
            Membership.objects.select_related("user"), tenant=self.tenant, pk=self.kwargs["membership_id"]
        )
        initial = {
            "role": self.membership.role,
            "sites": list(MembershipSite.objects.filter(membership=self.membership).values_list("site_id", flat=True)),
        }
        return {**super().get_form_kwargs(), "tenant": self.tenant, "initial": initial}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["membership"] = self.membership
        context["title"] = f"Edit {self.membership.user.username}"
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.set_membership(
                self.tenant, self.membership.user, data["role"], list(data["sites"]), by=self.request.user
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.membership.user.username} is now {data['role']}.")
        return redirect("tenant-members", self.tenant.slug)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class MemberRemoveView(TenantViewMixin, View):
    required_action = Action.MANAGE_USERS
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        membership = get_object_or_404(
            Membership.objects.select_related("user"), tenant=self.tenant, pk=kwargs["membership_id"]
        )
        services.remove_membership(self.tenant, membership.user, by=request.user)
        messages.success(request, f"{membership.user.username} no longer has access to {self.tenant.name}.")
        return redirect(reverse("tenant-members", args=[self.tenant.slug]))
