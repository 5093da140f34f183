from rest_framework import permissions, viewsets

from tenants.access import tenants_for
from tenants.api.base import TenantScopedViewSet
from tenants.api.serializers import SiteSerializer, TenantSerializer
from tenants.models import Site, Tenant


class IsSuperAdminOrReadOnly(permissions.BasePermission):
    message = "Only super admins manage tenants."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or bool(request.user.is_super_admin)


class TenantViewSet(viewsets.ModelViewSet):
    """Tenants: super admins manage all; members see the tenants they belong to."""

    serializer_class = TenantSerializer
    permission_classes = [permissions.IsAuthenticated, IsSuperAdminOrReadOnly]
    lookup_field = "slug"
    queryset = Tenant.objects.all()
    filterset_fields = ["active"]
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created"]

    def get_queryset(self):
        return tenants_for(self.request.user).order_by("name")


class SiteViewSet(TenantScopedViewSet):
    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    filterset_fields = ["slug"]
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "created"]
