"""The base of every tenant-scoped HTML view: the HTML twin of tenants/api/base.py.

`dispatch()` runs inside the request's transaction (ATOMIC_REQUESTS): it resolves the tenant from
the URL (`/t/<tenant>/…`), checks membership BEFORE setting the context (a non-member gets a
404, never a 403 that would confirm the tenant exists), sets `app.tenant_id` for this
transaction only, loads the membership's site scope, then checks the role: reading the page
needs `view_action` (404 otherwise, like the API), and any unsafe method — or every method on a
page that only exists to change something (`edit_page = True`) — needs `required_action`
(403 otherwise). Hiding buttons in templates is cosmetic; this check is the rule.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tenants.access import TenantAccess, load_site_scope, resolve_access
from tenants.context import activate_tenant
from tenants.models import Tenant
from tenants.roles import Action

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def render_in_transaction(response):
    """Render a lazy TemplateResponse now, inside the view's transaction.

    A TemplateResponse renders after the view returns, i.e. after ATOMIC_REQUESTS committed and
    the transaction-local tenant (or platform-audit) setting vanished: lazy querysets in the
    template would then read zero rows under RLS."""
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    return response


def permission_flags(access: TenantAccess | None) -> dict[str, bool]:
    """{"manage_structure": True, …} for templates: which controls to show (cosmetic only)."""
    return {action.value: bool(access and access.allows(action)) for action in Action}


class ShellMixin:
    """Context every page of the shell uses: which navigation entry is active."""

    section: str = ""
    title: str = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("section", self.section)
        context.setdefault("title", self.title)
        return context


class SuperAdminRequiredMixin(LoginRequiredMixin, ShellMixin):
    """Platform pages: super admins only; anyone else gets a 404 (the page does not exist for them)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.is_super_admin:
            raise Http404("No such page.")
        return render_in_transaction(super().dispatch(request, *args, **kwargs))


class TenantViewMixin(LoginRequiredMixin, ShellMixin):
    """Subclasses set `view_action` (to see the page), `required_action` (to change anything)."""

    view_action: Action = Action.VIEW_STRUCTURE
    required_action: Action = Action.MANAGE_STRUCTURE
    edit_page = False  # True: even GET needs required_action (a form that only changes things)
    access: TenantAccess
    tenant: Tenant

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        tenant = Tenant.objects.filter(slug=kwargs.get("tenant", "")).first()
        access = resolve_access(request.user, tenant) if tenant is not None else None
        if access is None or not access.allows(self.view_action):
            raise Http404("No such tenant.")
        activate_tenant(tenant.id)
        self.access = load_site_scope(access)
        self.tenant = tenant
        request.tenant = tenant
        request.tenant_access = self.access
        if (self.edit_page or request.method not in SAFE_METHODS) and not self.access.allows(self.required_action):
            raise PermissionDenied(f"Your role ({self.access.role}) may not {self.required_action.replace('_', ' ')}.")
        return render_in_transaction(super().dispatch(request, *args, **kwargs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tenant"] = self.tenant
        context["access"] = self.access
        context["can"] = permission_flags(self.access)
        return context
