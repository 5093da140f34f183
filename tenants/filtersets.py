"""Query filters of the tenancy API (django-filter), one per listed model."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from tenants.models import APIToken, Membership, Site, Tenant, User
from tenants.roles import TENANT_ROLES


class TenantFilterSet(django_filters.FilterSet):
    class Meta:
        model = Tenant
        fields = ["active", "require_2fa", "slug"]


class SiteFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Site
        fields = ["slug", "name"]


class MembershipFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=[(r.value, r.value) for r in TENANT_ROLES])
    username = django_filters.CharFilter(field_name="user__username", lookup_expr="iexact")
    is_active = django_filters.BooleanFilter(field_name="user__is_active")

    class Meta:
        model = Membership
        fields = ["role", "username", "is_active"]


class UserFilterSet(django_filters.FilterSet):
    username = django_filters.CharFilter(lookup_expr="icontains")
    tenant = django_filters.CharFilter(field_name="memberships__tenant__slug", label="Member of (tenant slug)")

    class Meta:
        model = User
        fields = ["username", "is_active", "is_super_admin", "require_2fa", "tenant"]


class APITokenFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter(method="filter_active", label="Neither revoked nor expired")

    class Meta:
        model = APIToken
        fields = ["active"]

    def filter_active(self, queryset, name, value):
        live = Q(revoked__isnull=True, expires__gt=timezone.now())
        return queryset.filter(live) if value else queryset.exclude(live)
