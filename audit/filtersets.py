"""Filters of audit listings and exports: the API's query parameters and the `filters` mapping of
`audit.services.entries_for` / `platform_entries` (the HTML UI's form) are the same set."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Q

from audit.models import AuditEntry


class IPAddressFilter(django_filters.Filter):
    field_class = forms.GenericIPAddressField  # a malformed address is a 400, not an inet cast error


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 with any offset; converted to UTC because PostgreSQL rejects offsets past ±15:59."""

    def filter(self, qs, value):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return super().filter(qs, value)


class AuditEntryFilterSet(django_filters.FilterSet):
    user = django_filters.CharFilter(method="filter_user", help_text="The actor: a user id or a username.")
    username = django_filters.CharFilter(help_text="The actor's username at the time (exact).")
    action = django_filters.CharFilter(
        method="filter_action", help_text="An action (auth.login), or a prefix ending in * (auth.*)."
    )
    since = UTCDateTimeFilter(
        field_name="created", lookup_expr="gte", help_text="From this time on (inclusive, ISO 8601)."
    )
    until = UTCDateTimeFilter(
        field_name="created", lookup_expr="lt", help_text="Before this time (exclusive, ISO 8601)."
    )
    date_from = django_filters.DateFilter(method="filter_date_from", help_text="From this day on (UTC, inclusive).")
    date_to = django_filters.DateFilter(method="filter_date_to", help_text="Up to this day (UTC, inclusive).")
    target = django_filters.CharFilter(method="filter_target", help_text="Target name contains, or target id is.")
    target_type = django_filters.CharFilter(help_text="app_label.model, e.g. tenants.site.")
    target_id = django_filters.CharFilter()
    site = django_filters.UUIDFilter(field_name="site_id")
    ip = IPAddressFilter(help_text="Source address (exact).")

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_user(self, queryset, name, value):
        match = Q(username=value)
        if value.isdigit():
            match |= Q(user_id=int(value))
        return queryset.filter(match)

    def filter_action(self, queryset, name, value):
        if value.endswith("*"):
            return queryset.filter(action__startswith=value[:-1])
        return queryset.filter(action=value)

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(created__gte=_start_of(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(created__lt=_start_of(value + datetime.timedelta(days=1)))

    def filter_target(self, queryset, name, value):
        return queryset.filter(Q(target_name__icontains=value) | Q(target_id=value))


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
