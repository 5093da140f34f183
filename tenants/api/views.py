"""Tenancy API: tenants, sites, members (tenant-scoped) and users (platform). Thin: every change
goes through tenants.services, which also enforces who may make it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants import services, twofactor
from tenants.access import tenants_for
from tenants.api.base import TenantScopedViewSet
from tenants.api.serializers import (
    MemberCreateSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    NewMemberSerializer,
    NewUserSerializer,
    PlatformSecuritySerializer,
    SiteSerializer,
    TenantSerializer,
    UserSerializer,
)
from tenants.filtersets import MembershipFilterSet, SiteFilterSet, TenantFilterSet, UserFilterSet
from tenants.models import Membership, Site, Tenant, User
from tenants.roles import Action


class IsSuperAdmin(permissions.BasePermission):
    message = "Only super admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_super_admin)


class IsSuperAdminOrReadOnly(IsSuperAdmin):
    message = "Only super admins manage tenants."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or super().has_permission(request, view)


class TenantViewSet(viewsets.ModelViewSet):
    """Tenants: super admins manage all; members see the tenants they belong to. Deleting a
    tenant is not offered here: deactivate it (`active: false`)."""

    serializer_class = TenantSerializer
    permission_classes = [permissions.IsAuthenticated, IsSuperAdminOrReadOnly]
    lookup_field = "slug"
    lookup_value_regex = "[a-z0-9-]+"
    queryset = Tenant.objects.all()
    filterset_class = TenantFilterSet
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "slug", "created"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return tenants_for(self.request.user).order_by("name")

    def perform_create(self, serializer):
        serializer.instance = services.create_tenant(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_tenant(
            serializer.instance, by=self.request.user, **serializer.validated_data
        )


class SiteViewSet(TenantScopedViewSet):
    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    filterset_class = SiteFilterSet
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "slug", "created"]


@extend_schema_view(
    create=extend_schema(request=MemberCreateSerializer, responses={201: NewMemberSerializer}),
    update=extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer),
    partial_update=extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer),
)
class MemberViewSet(TenantScopedViewSet):
    """The tenant's members: who may act in it, with which role and (optionally) which sites.

    Tenant admins and super admins manage them; tenant admins cannot touch super admins or
    their own membership. Creating a member for an unknown username creates the account and
    returns its generated password once."""

    queryset = Membership.objects.select_related("user", "tenant")
    serializer_class = MemberSerializer
    filterset_class = MembershipFilterSet
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    ordering_fields = ["user__username", "role", "created"]
    write_action = Action.MANAGE_USERS

    def get_queryset(self):
        return super().get_queryset().select_related("user", "tenant")

    def create(self, request, *args, **kwargs):
        data = _valid(MemberCreateSerializer, request.data)
        membership, password = services.invite_or_create_user(
            self.access.tenant,
            data["username"],
            data["role"],
            data["sites"],
            by=request.user,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
        )
        body = NewMemberSerializer(membership, context=self.get_serializer_context()).data
        body["password"] = password
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        membership = self.get_object()
        data = _valid(MemberUpdateSerializer, request.data, partial=kwargs.get("partial", False))
        sites = data["sites"] if "sites" in data else services.site_ids_of(membership)
        role = data.get("role", membership.role)
        membership = services.set_membership(self.access.tenant, membership.user, role, sites, by=request.user)
        return Response(MemberSerializer(membership, context=self.get_serializer_context()).data)

    def destroy(self, request, *args, **kwargs):
        membership = self.get_object()
        services.remove_membership(self.access.tenant, membership.user, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _valid(serializer_class, data, partial: bool = False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    create=extend_schema(responses={201: NewUserSerializer}),
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Every account (super admins only). New accounts get a generated password, shown once.
    Accounts are deactivated (`is_active: false`), never deleted: audit history keeps them."""

    permission_classes = [permissions.IsAuthenticated, IsSuperAdmin]
    serializer_class = UserSerializer
    queryset = User.objects.all().order_by("username")
    filterset_class = UserFilterSet
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["username", "date_joined", "last_login"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        active = data.pop("is_active", True)
        user, password = services.create_user(data.pop("username"), by=request.user, **data)
        if not active:
            services.set_user_active(user, False, by=request.user)
        body = NewUserSerializer(user).data
        body["password"] = password
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        user, by = serializer.instance, self.request.user
        data = dict(serializer.validated_data)
        data.pop("username", None)
        if "is_active" in data:
            services.set_user_active(user, data.pop("is_active"), by=by)
        if "is_super_admin" in data:
            services.set_super_admin(user, data.pop("is_super_admin"), by=by)
        if data:
            services.update_user(user, by=by, **data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"], url_path="reset-2fa")
    def reset_2fa(self, request, pk=None):
        """Remove the user's authenticator and backup codes (a lost phone); they enrol again."""
        services.reset_two_factor(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlatformSecurityView(APIView):
    """Platform-wide security settings (super admins only)."""

    permission_classes = [permissions.IsAuthenticated, IsSuperAdmin]

    @extend_schema(responses=PlatformSecuritySerializer)
    def get(self, request):
        return Response({"require_2fa": twofactor.platform_requires_2fa()})

    @extend_schema(request=PlatformSecuritySerializer, responses=PlatformSecuritySerializer)
    def put(self, request):
        data = _valid(PlatformSecuritySerializer, request.data)
        services.set_platform_require_2fa(data["require_2fa"], by=request.user)
        return Response({"require_2fa": twofactor.platform_requires_2fa()})
