"""Jobs API: start (POST jobs/), list, detail with per-device rows and progress, cancel,
retry failed; per-device rows with their full output under job-devices/. Thin: every write goes
through devices.jobs.runner (role, site scope, dangerous-command rules, audit)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from devices.jobs import runner
from devices.jobs.api.serializers import (
    JobDetailSerializer,
    JobDeviceSerializer,
    JobSerializer,
    StartJobSerializer,
    UpgradePlanRequestSerializer,
    UpgradePlanSerializer,
)
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
        if self.action in ("retrieve", "cancel", "retry_failed", "resume"):
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

    @extend_schema(request=None, responses={202: JobDetailSerializer, 400: ErrorSerializer, 403: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, *args, **kwargs):
        """Resume an upgrade paused at its failure threshold (admins): its next wave starts."""
        from devices.jobs.upgrade_kind import resume_upgrade

        job = resume_upgrade(self.access, self.get_object())
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=UpgradePlanRequestSerializer,
        responses={200: UpgradePlanSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    @action(detail=False, methods=["post"], url_path="upgrade-plan")
    def upgrade_plan(self, request, *args, **kwargs):
        """Preview an upgrade (admins): its waves with each device's installed and target
        version. Start it with POST jobs/ {"kind": "upgrade", "devices": …, "params": …, "confirm": true}."""
        from devices.firmware.services import devices_for, plan_upgrade
        from devices.jobs.upgrade_kind import USER_PARAMS, prepare

        body = UpgradePlanRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        prepared = prepare(data.get("params") or {}, self.access)
        chosen = devices_for(
            self.access,
            devices=data.get("devices"),
            site=data.get("site"),
            tag=data.get("tag", ""),
            all_devices=data.get("all", False),
        )
        waves = plan_upgrade(self.access, chosen, prepared.params)
        plan = {
            "summary": prepared.summary,
            "params": {k: v for k, v in prepared.params.items() if k in USER_PARAMS},
            "devices": [d.id for wave in waves for d in wave],
            "waves": [[asdict(d) for d in wave] for wave in waves],
        }
        return Response(UpgradePlanSerializer(plan).data)


class JobDeviceViewSet(TenantScopedReadOnlyViewSet):
    """One device's row of a job, with its whole output (`?job=<id>` lists a job's rows)."""

    queryset = JobDevice.objects.select_related("job")
    serializer_class = JobDeviceSerializer
    filterset_class = JobDeviceFilterSet
    ordering_fields = ["device_name", "state", "finished"]
