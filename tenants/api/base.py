"""The base of every tenant-scoped API endpoint (NetBox-style thin viewsets on top).

`initial()` runs inside the request's transaction (ATOMIC_REQUESTS) after DRF authenticated the
user: it resolves the tenant from the URL, checks membership BEFORE setting the context, sets
`app.tenant_id` for this transaction only, then checks the role for the action. A tenant or
object the user may not see is a 404 (a 403 would confirm it exists); a visible object the role
may not change is a 403.
"""

from __future__ import annotations

from rest_framework import exceptions, viewsets

from tenants.access import TenantAccess, load_site_scope, resolve_access
from tenants.context import activate_tenant
from tenants.models import Tenant
from tenants.roles import Action, role_allows

READ_ACTIONS = {"list", "retrieve", "metadata", None}


def resolve_tenant_access(request, slug: str) -> TenantAccess:
    tenant = Tenant.objects.filter(slug=slug).first()
    access = resolve_access(request.user, tenant) if tenant is not None else None
    if access is None:
        raise exceptions.NotFound("No such tenant.")
    activate_tenant(tenant.id)
    return load_site_scope(access)


class TenantScopedViewSet(viewsets.ModelViewSet):
    """Subclasses declare `queryset`, `serializer_class`, `filterset_class` and `write_action`."""

    write_action: Action = Action.MANAGE_STRUCTURE
    action_overrides: dict[str, Action] = {}  # e.g. {"run": Action.OPERATE}
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    access: TenantAccess

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.access = resolve_tenant_access(request, kwargs["tenant"])
        model = self.queryset.model
        if not role_allows(self.access.role, model.view_action):
            raise exceptions.NotFound("No such tenant.")
        if (self.lookup_url_kwarg or self.lookup_field) in kwargs:
            # An object outside the user's scope is a 404 whatever the method: checking the role
            # first would answer 403 to a forged write and so confirm the object exists.
            self.get_object()
        needed = self.required_action()
        if not self.access.allows(needed):
            raise exceptions.PermissionDenied(f"Your role ({self.access.role}) may not {needed.replace('_', ' ')}.")

    def required_action(self) -> Action:
        if self.action in self.action_overrides:
            return self.action_overrides[self.action]
        if self.action in READ_ACTIONS or self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.queryset.model.view_action
        return self.write_action

    def get_queryset(self):
        return self.queryset.model.objects.restrict(self.access, Action.VIEW).order_by(
            *(self.queryset.query.order_by or self.queryset.model._meta.ordering or ["pk"])
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["access"] = getattr(self, "access", None)
        return context

    def perform_create(self, serializer):
        serializer.save(tenant=self.access.tenant)


# --- audit (issue 2): the read-only variant --------------------------------------------------------
class TenantScopedReadOnlyViewSet(TenantScopedViewSet):
    """The same tenant resolution, 404 rules and scoping, for data nobody writes through the API
    (the audit log): only GET, HEAD and OPTIONS are answered; any other method is a 405, and the
    schema lists no write operations."""

    http_method_names = ["get", "head", "options"]


# --- end audit ---------------------------------------------------------------------------------------
