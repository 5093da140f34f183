"""Query filters of jobs and their per-device rows (API and UI share them)."""

from __future__ import annotations

import django_filters

from devices.models import Job, JobDevice, JobDeviceState, JobState


class JobFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=JobState.choices)
    kind = django_filters.CharFilter(field_name="kind")
    created_by = django_filters.CharFilter(field_name="created_by__username", label="Username of who started it")
    created_after = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="lt")

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
