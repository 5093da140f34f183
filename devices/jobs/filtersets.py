"""Query filters of jobs and their per-device rows (API and UI share them)."""

from __future__ import annotations

import django_filters

from audit.filtersets import UTCDateTimeFilter
from devices.models import Job, JobDevice, JobDeviceState, JobState


class JobFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=JobState.choices)
    kind = django_filters.CharFilter(field_name="kind")
    created_by = django_filters.CharFilter(field_name="created_by__username", label="Username of who started it")
    # any ISO offset (PostgreSQL rejects offsets past ±15:59: a 500 otherwise)
    created_after = UTCDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created", lookup_expr="lt")

    class Meta:
        model = Job
        fields = ["state", "kind", "created_by", "created_after", "created_before"]


class JobDeviceFilterSet(django_filters.FilterSet):
    job = django_filters.UUIDFilter(field_name="job_id")
    device = django_filters.UUIDFilter(field_name="device_id")
    state = django_filters.MultipleChoiceFilter(choices=JobDeviceState.choices)

    class Meta:
        model = JobDevice
        fields = ["job", "device", "state"]
