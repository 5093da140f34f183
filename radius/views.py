"""User Manager pages under /t/<tenant>/radius/…: users (with usage bars), customers, profiles,
limitations, routers, sessions, logs, history with undo/redo, vouchers.

All go through TenantViewMixin (non-members 404; a role that may not operate gets 403 on any
change) and write through radius.services, exactly as the API does.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.generic import FormView, TemplateView, View

from radius import provisioning, services
from radius.choices import SessionStatus
from radius.decisions import rate_limit_string
from radius.forms import (
    AssignProfileForm,
    CustomerForm,
    LimitationForm,
    ProfileForm,
    ProfileLimitationForm,
    RadiusUserForm,
    RouterForm,
    SimulatedLoginForm,
    VoucherForm,
)
from radius.models import (
    AuthLog,
    Customer,
    History,
    Limitation,
    Profile,
    ProfileLimitation,
    RadiusUser,
    Router,
    Session,
    UserProfile,
    VoucherBatch,
)
from tenants.forms import apply_errors
from tenants.roles import Action
from tenants.views_base import TenantViewMixin

PAGE_SIZE = 50


class RadiusMixin(TenantViewMixin):
    view_action = Action.VIEW
    required_action = Action.OPERATE
    section = "radius"
    tab = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = self.tab
        context["can_manage"] = self.access.allows(Action.OPERATE) and self.access.site_ids is None
        return context

    def scoped(self, model):
        return model.objects.restrict(self.access)

    def page(self, queryset):
        return Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))


def _cell(obj, attr):
    return attr(obj) if callable(attr) else getattr(obj, attr)


# --- generic list / form / delete for the simple objects -------------------------------------------
class ObjectListView(RadiusMixin, TemplateView):
    template_name = "radius/list.html"
    model = None
    columns: list = []  # (attribute name or callable(obj), heading)
    add_url = edit_url = delete_url = ""
    heading = intro = ""

    def get_queryset(self):
        queryset = self.scoped(self.model)
        q = self.request.GET.get("q", "").strip()
        if q:
            queryset = queryset.filter(**{f"{self.search_field}__icontains": q})
        return queryset

    search_field = "name"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = self.page(self.get_queryset())
        rows = [(obj, [_cell(obj, attr) for attr, _ in self.columns]) for obj in page]
        context.update(
            page=page,
            rows=rows,
            headings=[h for _, h in self.columns],
            heading=self.heading,
            intro=self.intro,
            add_url=self.add_url,
            edit_url=self.edit_url,
            delete_url=self.delete_url,
            q=self.request.GET.get("q", ""),
        )
        return context


class ObjectFormView(RadiusMixin, FormView):
    template_name = "radius/form.html"
    edit_page = True
    model = None
    list_url = ""
    noun = ""
    obj = None

    def get_object(self):
        if "pk" in self.kwargs and self.obj is None:
            self.obj = get_object_or_404(self.scoped(self.model), pk=self.kwargs["pk"])
        return self.obj

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(tenant=self.tenant, instance=self.get_object() or self.model(tenant=self.tenant))
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context.update(obj=obj, list_url=self.list_url, noun=self.noun)
        context["title"] = f"Edit {obj}" if obj else f"Add {self.noun}"
        return context

    def form_valid(self, form):
        obj = self.get_object()
        try:
            if obj is None:
                obj = services.create(self.access, self.model, form.data_for_service(), secrets=form.secrets())
            else:
                # services.update snapshots the stored state first: hand it a fresh copy, not the
                # instance the ModelForm has already changed.
                fresh = self.model.objects.get(pk=obj.pk)
                obj = services.update(self.access, fresh, form.data_for_service(), secrets=form.secrets())
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.noun.capitalize()} “{obj}” saved.")
        return redirect(self.success_url_for(obj))

    def success_url_for(self, obj):
        from django.urls import reverse

        return reverse(self.list_url, args=[self.tenant.slug])

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class ObjectDeleteView(RadiusMixin, View):
    http_method_names = ["post"]
    model = None
    list_url = ""

    def post(self, request, *args, **kwargs):
        obj = get_object_or_404(self.scoped(self.model), pk=kwargs["pk"])
        try:
            services.delete(self.access, obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"“{obj}” removed.")
        return redirect(self.list_url, self.tenant.slug)


# --- users -----------------------------------------------------------------------------------------
class UserListView(RadiusMixin, TemplateView):
    template_name = "radius/users.html"
    tab = "users"
    title = "RADIUS users"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = self.scoped(RadiusUser).select_related("group", "customer")
        q = self.request.GET.get("q", "").strip()
        if q:
            queryset = queryset.filter(name__icontains=q)
        page = self.page(queryset)
        context.update(page=page, q=q, rows=[(u, services.user_usage(u)) for u in page])
        return context


class UserDetailView(RadiusMixin, TemplateView):
    template_name = "radius/user_detail.html"
    tab = "users"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = get_object_or_404(self.scoped(RadiusUser).select_related("group", "customer"), pk=self.kwargs["pk"])
        context.update(
            obj=user,
            title=user.name,
            usage=services.user_usage(user),
            queue=user.user_profiles.select_related("profile").order_by("position", "assigned_at"),
            sessions=Session.objects.filter(user=user).select_related("nas")[:20],
            assign_form=AssignProfileForm(tenant=self.tenant),
        )
        return context


class UserFormView(ObjectFormView):
    model, form_class, list_url, noun, tab = RadiusUser, RadiusUserForm, "radius-users", "user", "users"


class UserDeleteView(ObjectDeleteView):
    model, list_url = RadiusUser, "radius-users"


class AssignProfileView(RadiusMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        user = get_object_or_404(self.scoped(RadiusUser), pk=kwargs["pk"])
        form = AssignProfileForm(request.POST, tenant=self.tenant)
        if form.is_valid():
            services.assign_profile(self.access, user, form.cleaned_data["profile"])
            messages.success(request, f"Profile “{form.cleaned_data['profile']}” added to {user}'s queue.")
        else:
            messages.error(request, "Choose one of the tenant's profiles.")
        return redirect("radius-user-detail", self.tenant.slug, user.pk)


class UserProfileDeleteView(RadiusMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        up = get_object_or_404(self.scoped(UserProfile), pk=kwargs["pk"])
        services.delete(self.access, up)
        messages.success(request, f"Profile “{up.profile}” removed from {up.user}'s queue.")
        return redirect("radius-user-detail", self.tenant.slug, up.user_id)


# --- customers, profiles, limitations, routers --------------------------------------------------------
class CustomerListView(ObjectListView):
    model, tab, title, heading = Customer, "customers", "Customers", "Customers"
    intro = "The User Manager's customer hierarchy; the tenant itself is the top (the subscriber)."
    columns = [("login", "Login"), ("parent", "Parent"), ("permissions", "Permissions"), ("user_prefix", "Prefix")]
    search_field = "login"
    add_url, edit_url, delete_url = "radius-customer-add", "radius-customer-edit", "radius-customer-delete"


class CustomerFormView(ObjectFormView):
    model, form_class, list_url, noun, tab = Customer, CustomerForm, "radius-customers", "customer", "customers"


class CustomerDeleteView(ObjectDeleteView):
    model, list_url = Customer, "radius-customers"


class ProfileListView(RadiusMixin, TemplateView):
    template_name = "radius/profiles.html"
    tab, title = "profiles", "Profiles"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profiles = self.scoped(Profile).prefetch_related("profile_limitations__limitation")
        context.update(page=self.page(profiles))
        return context


class ProfileFormView(ObjectFormView):
    model, form_class, list_url, noun, tab = Profile, ProfileForm, "radius-profiles", "profile", "profiles"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.obj is not None:
            context["profile_limitations"] = self.obj.profile_limitations.select_related("limitation")
            context["pl_form"] = ProfileLimitationForm(tenant=self.tenant)
        return context


class ProfileDeleteView(ObjectDeleteView):
    model, list_url = Profile, "radius-profiles"


class ProfileLimitationAddView(RadiusMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        profile = get_object_or_404(self.scoped(Profile), pk=kwargs["pk"])
        form = ProfileLimitationForm(request.POST, tenant=self.tenant)
        if form.is_valid():
            services.create(self.access, ProfileLimitation, {**form.cleaned_data, "profile": profile})
            messages.success(request, f"Limitation “{form.cleaned_data['limitation']}” added to {profile}.")
        else:
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("radius-profile-edit", self.tenant.slug, profile.pk)


class ProfileLimitationDeleteView(RadiusMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        pl = get_object_or_404(self.scoped(ProfileLimitation), pk=kwargs["pk"])
        services.delete(self.access, pl)
        messages.success(request, f"“{pl}” removed.")
        return redirect("radius-profile-edit", self.tenant.slug, pl.profile_id)


class LimitationListView(ObjectListView):
    model, tab, title, heading = Limitation, "limitations", "Limitations", "Limitations"
    intro = "Transfer, uptime and rate limits; profiles apply them in time windows. 0 or empty: no limit."
    columns = [
        ("transfer_limit", "Transfer (bytes)"),
        ("uptime_limit", "Uptime"),
        (lambda obj: rate_limit_string(obj) or "—", "Rate limit"),
        (
            lambda obj: (
                f"throttle to {obj.throttle_rate_limit}" if obj.on_limit_reached == "throttle" else "disconnect"
            ),
            "When used up",
        ),
        ("reset_counters_interval", "Reset"),
    ]
    add_url, edit_url, delete_url = "radius-limitation-add", "radius-limitation-edit", "radius-limitation-delete"


class LimitationFormView(ObjectFormView):
    model, form_class, list_url = Limitation, LimitationForm, "radius-limitations"
    noun, tab = "limitation", "limitations"


class LimitationDeleteView(ObjectDeleteView):
    model, list_url = Limitation, "radius-limitations"


class RouterListView(ObjectListView):
    model, tab, title, heading = Router, "routers", "Routers (NAS)", "Routers (NAS)"
    intro = (
        "RADIUS clients allowed to ask this User Manager, identified by source address (unique on the "
        "platform). Shared secrets are encrypted with the tenant's key and never shown again."
    )
    add_url, edit_url, delete_url = "radius-router-add", "radius-router-edit", "radius-router-delete"

    @property
    def columns(self):
        return [
            ("address", "Address"),
            ("coa_port", "CoA port"),
            ("require_message_authenticator", "Requires M-A"),
            ("radsec_only", "RadSec only"),
            (self._simulate_link, "Simulator"),
        ]

    def get_queryset(self):
        return super().get_queryset().select_related("device")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.access.allows(Action.PUSH_CONFIG):
            context["provision_url"] = "radius-router-provision"
        return context

    def _simulate_link(self, router):
        from devices import demo

        if demo.simulated_index(router) is None:
            return ""
        target = reverse("radius-router-simulate", args=[self.tenant.slug, router.pk])
        return format_html('<a href="{}">Simulate a subscriber login</a>', target)


class RouterSimulateLoginView(RadiusMixin, FormView):
    """In simulator mode (`make run`): make the simulated router behind this NAS log a subscriber
    in against our RADIUS server, and show its live sessions as the router sees them."""

    template_name = "radius/simulate_login.html"
    form_class = SimulatedLoginForm
    tab, title = "routers", "Simulate a subscriber login"

    def setup_router(self):
        from devices import demo

        router = get_object_or_404(self.scoped(Router).select_related("device"), pk=self.kwargs["pk"])
        index, control_url = demo.simulated_index(router), demo.simulator_control_url()
        if index is None or control_url is None:
            raise Http404("This router is not a simulated one (or no simulator runs here).")
        return router, index, control_url

    def get_context_data(self, **kwargs):
        from devices import demo

        context = super().get_context_data(**kwargs)
        router, index, control_url = self.setup_router()
        try:
            live = demo.simulator_subscribers(control_url, index)
        except (demo.SimulatorUnavailable, ValueError) as exc:
            live, context["unavailable"] = {"sessions": [], "ended": []}, str(exc)
        context.update(router=router, index=index, live=live["sessions"], ended=list(reversed(live["ended"]))[:10])
        return context

    def form_valid(self, form):
        from devices import demo

        router, index, control_url = self.setup_router()
        data = form.cleaned_data
        try:
            result = demo.simulator_subscriber_login(
                control_url,
                index,
                data["user"],
                data["password"],
                service=data["service"],
                rate_bps=data["rate_mbps"] * 1_000_000,
                interim_interval=data["interim_s"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        except demo.SimulatorUnavailable as exc:
            messages.error(self.request, str(exc))
            return redirect("radius-router-simulate", self.tenant.slug, router.pk)
        outcome = result.get("result")
        if outcome == "accept":
            messages.success(self.request, f"{data['user']} logged in at {router} — the session shows under Sessions.")
        else:
            messages.error(self.request, f"Login of {data['user']} at {router}: {outcome} ({result.get('reason', '')})")
        return redirect("radius-router-simulate", self.tenant.slug, router.pk)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class RouterProvisionView(RadiusMixin, TemplateView):
    """/radius/routers/<id>/provision/: GET previews what provisioning pushes to the linked
    device; POST starts the push job and goes to its page (admins: it pushes configuration)."""

    template_name = "radius/provision.html"
    tab, title = "routers", "Provision router"
    required_action = Action.PUSH_CONFIG
    edit_page = True

    def router(self):
        return get_object_or_404(self.scoped(Router).select_related("device"), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        router = self.router()
        context = self.get_context_data(router=router)
        try:
            context["preview"] = provisioning.preview_provisioning(self.access, router)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
            return self.render_to_response(context, status=400)
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        router = self.router()
        try:
            job = provisioning.provision_router(self.access, router)
        except ValidationError as exc:
            context = self.get_context_data(router=router, error=" ".join(exc.messages))
            return self.render_to_response(context, status=400)
        messages.success(request, f"Provisioning {router.device} with automatic rollback.")
        return redirect("job-detail", self.tenant.slug, job.pk)


class RouterFormView(ObjectFormView):
    model, form_class, list_url, noun, tab = Router, RouterForm, "radius-routers", "router", "routers"


class RouterDeleteView(ObjectDeleteView):
    model, list_url = Router, "radius-routers"


# --- sessions, logs, history -----------------------------------------------------------------------------
class SessionListView(RadiusMixin, TemplateView):
    template_name = "radius/sessions.html"
    tab, title = "sessions", "Sessions"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = self.scoped(Session).select_related("nas")
        active_only = self.request.GET.get("status", "active") == "active"
        if active_only:
            queryset = queryset.filter(status=SessionStatus.ACTIVE)
        context.update(page=self.page(queryset), active_only=active_only)
        return context


class SessionDisconnectView(RadiusMixin, View):
    """POST: the Disconnect button (operators and admins)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        session = get_object_or_404(self.scoped(Session).select_related("nas"), pk=kwargs["pk"])
        try:
            result = services.disconnect_session(self.access, session)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            text = services.DISCONNECT_MESSAGES[result].format(port=session.nas.coa_port)
            (messages.success if result == "ack" else messages.error)(request, f"{session.username}: {text}")
        return redirect("radius-sessions", self.tenant.slug)


class AuthLogListView(RadiusMixin, TemplateView):
    template_name = "radius/logs.html"
    tab, title = "logs", "Authentication log"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(page=self.page(self.scoped(AuthLog).select_related("nas")))
        return context


class HistoryListView(RadiusMixin, TemplateView):
    template_name = "radius/history.html"
    tab, title = "history", "History"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(page=self.page(self.scoped(History).select_related("actor")))
        return context


class HistoryActionView(RadiusMixin, View):
    http_method_names = ["post"]
    verb = "undo"

    def post(self, request, *args, **kwargs):
        entry = get_object_or_404(self.scoped(History), pk=kwargs["pk"])
        try:
            getattr(services, self.verb)(self.access, entry)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{self.verb.capitalize()}: {entry}.")
        return redirect("radius-history", self.tenant.slug)


# --- vouchers ------------------------------------------------------------------------------------------
class VoucherView(RadiusMixin, FormView):
    """GET: the batches and the form. POST: create a batch and answer with the printable sheet or
    the CSV right away — the only time the passwords are available."""

    template_name = "radius/vouchers.html"
    form_class = VoucherForm
    tab, title = "vouchers", "Vouchers"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "tenant": self.tenant}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["batches"] = self.scoped(VoucherBatch).select_related("profile", "created_by")[:50]
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        output = data.pop("output")
        try:
            batch, cards = services.generate_vouchers(self.access, **data)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            apply_errors(form, exc)
            return self.form_invalid(form)
        if output == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(["username", "password", "profile", "batch"])
            for username, password in cards:
                writer.writerow([username, password, batch.profile.name, batch.name])
            response = HttpResponse(buffer.getvalue(), content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="vouchers-{batch.pk}.csv"'
            response["Cache-Control"] = "no-store"
            return response
        response = render(
            self.request,
            "radius/voucher_sheet.html",
            {"batch": batch, "cards": cards, "tenant": self.tenant, "profile": batch.profile},
        )
        response["Cache-Control"] = "no-store"
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response
