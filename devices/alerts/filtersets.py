"""Filters of the alert pages and API (shared)."""

from __future__ import annotations

import django_filters

from devices.models import Alert, AlertState, Delivery, RuleKind, Severity
from devices.models.alerts import DeliveryState


class AlertFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=AlertState.choices)
    open = django_filters.BooleanFilter(method="filter_open", label="Open (firing or acknowledged)")
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    kind = django_filters.MultipleChoiceFilter(choices=RuleKind.choices)
    site = django_filters.CharFilter(field_name="device__site__slug", label="Site slug")
    device = django_filters.UUIDFilter(field_name="device_id")
    rule = django_filters.UUIDFilter(field_name="rule_id")

    class Meta:
        model = Alert
        fields = ["state", "open", "severity", "kind", "site", "device", "rule"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(state=AlertState.RESOLVED) if value else queryset.filter(state=AlertState.RESOLVED)


class DeliveryFilterSet(django_filters.FilterSet):
    channel = django_filters.UUIDFilter(field_name="channel_id")
    alert = django_filters.UUIDFilter(field_name="alert_id")
    state = django_filters.MultipleChoiceFilter(choices=DeliveryState.choices)

    class Meta:
        model = Delivery
        fields = ["channel", "alert", "state", "event"]
