"""Pages outside any tenant: home (the user's tenants), the tenant switcher, and the super
admins' platform pages (tenants, users, settings)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.generic import FormView, TemplateView, View
from guardian.conf import settings as guardian_settings

from tenants import services, twofactor
from tenants.access import tenants_for
from tenants.forms import PlatformUserEditForm, PlatformUserForm, TenantForm, apply_errors
from tenants.models import Membership, Tenant, User
from tenants.views_base import SuperAdminRequiredMixin

# Sections that exist in every tenant: the switcher keeps the user on the same kind of page.
SWITCHABLE_SECTIONS = {
    "dashboard": "tenant-dashboard",
    "sites": "tenant-sites",
    "members": "tenant-members",
    "audit": "tenant-audit",
}


@login_required
def home(request):
    tenants = tenants_for(request.user).order_by("name")
    roles = dict(Membership.objects.filter(user=request.user).values_list("tenant_id", "role"))
    rows = [{"tenant": t, "role": roles.get(t.pk, "platform")} for t in tenants]
    if len(rows) == 1 and not request.user.is_super_admin:
        return redirect("tenant-dashboard", rows[0]["tenant"].slug)
    context = {"section": "home", "title": "My tenants", "rows": rows}
    return render(request, "home.html", context)


@login_required
def switch_tenant(request):
    """The header's switcher: GET ?tenant=<slug>&section=<page> → the same page in that tenant.
    Access is checked by the target page itself (a non-member lands on a 404 there)."""
    slug = request.GET.get("tenant", "")
    tenant = tenants_for(request.user).filter(slug=slug).first()
    if tenant is None:
        messages.error(request, "You do not have access to that tenant.")
        return redirect("home")
    name = SWITCHABLE_SECTIONS.get(request.GET.get("section", ""), "tenant-dashboard")
    try:
        return redirect(reverse(name, args=[tenant.slug]))
    except NoReverseMatch:
        return redirect("tenant-dashboard", tenant.slug)


# --- Tenants (super admins) --------------------------------------------------------------------


class TenantListView(SuperAdminRequiredMixin, TemplateView):
    template_name = "platform/tenants.html"
    section = "platform-tenants"
    title = "Tenants"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tenants"] = Tenant.objects.annotate(members=Count("memberships")).order_by("name")
        return context


class TenantFormView(SuperAdminRequiredMixin, FormView):
    template_name = "platform/tenant_form.html"
    form_class = TenantForm
    section = "platform-tenants"
    tenant: Tenant | None = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "slug" in self.kwargs and self.tenant is None:
            self.tenant = get_object_or_404(Tenant, slug=self.kwargs["slug"])
        kwargs["instance"] = self.tenant
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.tenant
        context["title"] = f"Edit {self.tenant.name}" if self.tenant else "Create tenant"
        return context

    def form_valid(self, form):
        data = {field: form.cleaned_data[field] for field in ("name", "slug", "active", "require_2fa")}
        try:
            if self.tenant is None:
                tenant = services.create_tenant(data.pop("name"), data.pop("slug"), by=self.request.user, **data)
            else:
                tenant = Tenant.objects.get(pk=self.tenant.pk)  # the form mutated self.tenant in place
                tenant = services.update_tenant(tenant, by=self.request.user, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Tenant “{tenant.name}” {'saved' if self.tenant else 'created'}.")
        return redirect("platform-tenants")

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


# --- Users (super admins) ----------------------------------------------------------------------


class UserListView(SuperAdminRequiredMixin, FormView):
    """All accounts, searchable; create one (its generated password is shown once)."""

    template_name = "platform/users.html"
    form_class = PlatformUserForm
    section = "platform-users"
    title = "Users"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        users = (
            User.objects.exclude(username=guardian_settings.ANONYMOUS_USER_NAME)  # django-guardian's placeholder
            .annotate(tenant_count=Count("memberships"))
            .order_by("username")
        )
        if query:
            users = users.filter(Q(username__icontains=query) | Q(email__icontains=query))
        page = Paginator(users, 50).get_page(self.request.GET.get("page"))
        context.update(page=page, users=page.object_list, q=query)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user, password = services.create_user(
                data["username"], by=self.request.user, email=data["email"], is_super_admin=data["is_super_admin"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"User {user.username} created.")
        return self.render_to_response(
            self.get_context_data(form=self.form_class(), created_user=user, password=password)
        )

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class UserEditView(SuperAdminRequiredMixin, FormView):
    template_name = "platform/user_form.html"
    form_class = PlatformUserEditForm
    section = "platform-users"
    account: User

    def get_form_kwargs(self):
        self.account = get_object_or_404(
            User.objects.exclude(username=guardian_settings.ANONYMOUS_USER_NAME), pk=self.kwargs["user_id"]
        )
        initial = {name: getattr(self.account, name) for name in PlatformUserEditForm.base_fields}
        return {**super().get_form_kwargs(), "initial": initial}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            account=self.account,
            title=f"Edit {self.account.username}",
            memberships=Membership.objects.filter(user=self.account).select_related("tenant").order_by("tenant__name"),
            has_2fa=twofactor.has_2fa(self.account),
        )
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        super_admin = data.pop("is_super_admin")
        try:
            with transaction.atomic():  # both changes or neither
                services.update_user(self.account, by=self.request.user, **data)
                services.set_super_admin(self.account, super_admin, by=self.request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.account.username} saved.")
        return redirect("platform-users")

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class UserActiveView(SuperAdminRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, user_id):
        user = get_object_or_404(User, pk=user_id)
        active = request.POST.get("active") == "1"
        try:
            services.set_user_active(user, active, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{user.username} {'reactivated' if active else 'deactivated'}.")
        return redirect("platform-users")


class PlatformSettingsView(SuperAdminRequiredMixin, TemplateView):
    template_name = "platform/settings.html"
    section = "platform-settings"
    title = "Platform settings"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            require_2fa=twofactor.platform_requires_2fa(),
            failure_limit=settings.AXES_FAILURE_LIMIT,
            cooloff_minutes=round(settings.AXES_COOLOFF_TIME * 60),
            token_days=settings.API_TOKEN_DEFAULT_DAYS,
        )
        return context

    def post(self, request, *args, **kwargs):
        required = request.POST.get("require_2fa") == "1"
        services.set_platform_require_2fa(required, by=request.user)
        messages.success(
            request, f"Two-factor authentication is now {'required' if required else 'optional'} for everyone."
        )
        return redirect("platform-settings")
