"""Query filters of the device inventory (API and UI list pages share them)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from audit.filtersets import UTCDateTimeFilter
from devices.models import ConnectivityCheck, CredentialProfile, Device, DeviceEvent, DeviceStatus, Protocol


class DeviceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search (name, host, identity)")
    status = django_filters.MultipleChoiceFilter(choices=DeviceStatus.choices)
    site = django_filters.CharFilter(method="filter_site", label="Site slug (comma-separated; `none` for no site)")
    site_id = django_filters.UUIDFilter(field_name="site_id")
    tag = django_filters.CharFilter(method="filter_tag", label="Tag (comma-separated: all of them)")
    protocol = django_filters.MultipleChoiceFilter(choices=Protocol.choices)
    version = django_filters.CharFilter(
        field_name="ros_version", lookup_expr="startswith", label="RouterOS version prefix"
    )
    credential_profile = django_filters.UUIDFilter(field_name="credential_profile_id")

    class Meta:
        model = Device
        fields = ["q", "status", "site", "site_id", "tag", "protocol", "version", "enabled", "auth_blocked"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(host__icontains=value) | Q(identity__icontains=value))

    def filter_site(self, queryset, name, value):
        slugs = [s.strip() for s in value.split(",") if s.strip()]
        if not slugs:
            return queryset
        wanted = Q(site__slug__in=[s for s in slugs if s != "none"])
        if "none" in slugs:
            wanted |= Q(site__isnull=True)
        return queryset.filter(wanted)

    def filter_tag(self, queryset, name, value):
        tags = [t.strip() for t in value.split(",") if t.strip()]
        return queryset.filter(tags__contains=tags) if tags else queryset


class CredentialProfileFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = CredentialProfile
        fields = ["name"]


class DeviceEventFilterSet(django_filters.FilterSet):
    device = django_filters.UUIDFilter(field_name="device_id")
    since = UTCDateTimeFilter(field_name="at", lookup_expr="gte")

    class Meta:
        model = DeviceEvent
        fields = ["device", "kind", "since"]


class ConnectivityCheckFilterSet(django_filters.FilterSet):
    device = django_filters.UUIDFilter(field_name="device_id")

    class Meta:
        model = ConnectivityCheck
        fields = ["device", "state", "outcome"]
