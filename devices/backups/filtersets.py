"""Filters of the backup list (API and UI share them)."""

from __future__ import annotations

import django_filters

from audit.filtersets import UTCDateTimeFilter
from devices.models import BackupStatus, BackupTrigger, ConfigBackup


class ConfigBackupFilterSet(django_filters.FilterSet):
    device = django_filters.UUIDFilter(field_name="device_id")
    status = django_filters.MultipleChoiceFilter(choices=BackupStatus.choices)
    trigger = django_filters.MultipleChoiceFilter(choices=BackupTrigger.choices)
    since = UTCDateTimeFilter(field_name="taken_at", lookup_expr="gte", help_text="From this time on (ISO 8601).")
    until = UTCDateTimeFilter(field_name="taken_at", lookup_expr="lt", help_text="Before this time (ISO 8601).")

    class Meta:
        model = ConfigBackup
        fields = ["device", "status", "trigger", "changed", "since", "until"]
