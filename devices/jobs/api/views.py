"""Jobs API: start (POST jobs/), list, detail with per-device rows and progress, cancel,
retry failed; per-device rows with their full output under job-devices/. Thin: every write goes
through devices.jobs.runner (role, site scope, dangerous-command rules, audit)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from devices.jobs import runner
from devices.jobs.api.serializers import JobDetailSerializer, JobDeviceSerializer, JobSerializer, StartJobSerializer
from devices.jobs.filtersets import JobDeviceFilterSet, JobFilterSet
from devices.models import Job, JobDevice
from tenants.api.base import TenantScopedReadOnlyViewSet, TenantScopedViewSet
from tenants.api.serializers import ErrorSerializer
from tenants.roles import Action


@extend_schema_view(
    create=extend_schema(
        request=StartJobSerializer, responses={201: JobDetailSerializer, 400: ErrorSerializer, 403: ErrorSerializer}
    ),
    retrieve=extend_schema(responses={200: JobDetailSerializer}),
)
class JobViewSet(TenantScopedViewSet):
    """Multi-device operations. Operators and admins start, cancel and retry jobs; dangerous
    commands (reboot, reset-configuration, user changes, …) need an admin and `confirm: true`.
    Everyone in the tenant reads them (a site-scoped member: jobs whose devices are all in
    their sites). Poll the detail for progress; it lists every device's row."""

    queryset = Job.objects.select_related("created_by")
    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    search_fields = ["summary", "kind"]
    ordering_fields = ["created", "finished", "state", "kind"]
    write_action = Action.OPERATE
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("created_by")

    def get_serializer_class(self):
        if self.action in ("retrieve", "cancel", "retry_failed"):
            return JobDetailSerializer
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        body = StartJobSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        job = runner.start_job(
            self.access,
            data["kind"],
            devices=data.get("devices"),
            site=data.get("site"),
            all_devices=data.get("all", False),
            params=data.get("params") or {},
            confirm=data.get("confirm", False),
            concurrency=data.get("concurrency"),
        )
        return Response(JobDetailSerializer(job, context=self.get_serializer_context()).data, status=201)

    @extend_schema(request=None, responses={200: JobDetailSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, *args, **kwargs):
        """Cancel: queued devices are cancelled at once, running ones finish their step."""
        job = runner.cancel_job(self.access, self.get_object())
        return Response(self.get_serializer(job).data)

    @extend_schema(request=None, responses={202: JobDetailSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request, *args, **kwargs):
        """Run the failed devices again (a new attempt each); the others keep their results."""
        job = runner.retry_failed(self.access, self.get_object())
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)


class JobDeviceViewSet(TenantScopedReadOnlyViewSet):
    """One device's row of a job, with its whole output (`?job=<id>` lists a job's rows)."""

    queryset = JobDevice.objects.select_related("job")
    serializer_class = JobDeviceSerializer
    filterset_class = JobDeviceFilterSet
    ordering_fields = ["device_name", "state", "finished"]
