"""/api/v1/tenants/{tenant}/cve-exposure/ — every visible device's CVE exposure (site scope and
RLS as for devices) — and /api/v1/feeds/ — the platform's feed data and state (no fleet data)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, views
from rest_framework.response import Response

from devices.feeds import services
from devices.models import Device
from devices.models.feeds import FeedState, RouterOSRelease, Vulnerability
from tenants.api.base import TenantScopedReadOnlyViewSet

from .serializers import DeviceExposureSerializer, FeedStateSerializer, ReleaseSerializer, VulnerabilitySerializer

EXPOSURE_PARAMS = [
    OpenApiParameter(
        "min_severity",
        str,
        enum=["none", "low", "medium", "high", "critical"],
        description="Count only CVEs this severe or worse.",
    ),
    OpenApiParameter("exposed", OpenApiTypes.BOOL, description="true: only devices with at least one such CVE."),
]


class CveExposureViewSet(TenantScopedReadOnlyViewSet):
    """RouterOS CVEs that apply to the tenant's devices (from the NVD feed or an imported file),
    with the version that fixes them and the newest stable release of the device's line. The
    list also carries a summary: exposed devices by their worst severity."""

    queryset = Device.objects.select_related("site")
    serializer_class = DeviceExposureSerializer
    filterset_class = None
    ordering_fields: list[str] = []

    def _min_severity(self) -> str:
        value = self.request.query_params.get("min_severity", "none")
        try:
            services.severity_threshold(value)
        except ValueError as exc:
            raise exceptions.ValidationError({"min_severity": [str(exc)]}) from None
        return value

    @extend_schema(parameters=EXPOSURE_PARAMS)
    def list(self, request, *args, **kwargs):
        devices = self.get_queryset()
        by_version = services.matches_by_version(devices, self._min_severity())
        exposed_versions = [text for text, found in by_version.items() if found]
        only_exposed = request.query_params.get("exposed", "").lower() in ("1", "true", "yes")
        if only_exposed:
            devices = devices.filter(ros_version__in=exposed_versions)
        page = self.paginate_queryset(devices.order_by("name", "pk"))
        rows = services.describe(page if page is not None else devices, by_version)
        data = self.get_serializer(rows, many=True).data
        exposed = services.exposure(self.get_queryset(), self._min_severity())
        summary = {"devices": self.get_queryset().count(), "exposed": len(exposed), **services.summary(exposed)}
        response = self.get_paginated_response(data) if page is not None else Response({"results": data})
        response.data["summary"] = summary
        return response

    @extend_schema(parameters=EXPOSURE_PARAMS[:1])
    def retrieve(self, request, *args, **kwargs):
        device = self.get_object()
        by_version = services.matches_by_version(self.get_queryset().filter(pk=device.pk), self._min_severity())
        return Response(self.get_serializer(services.describe([device], by_version)[0]).data)


class FeedsView(views.APIView):
    """Platform feed data, readable by any signed-in user: it says nothing about any fleet."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(
            {
                "feeds": FeedStateSerializer(FeedState.objects.order_by("name"), many=True).data,
                "releases": ReleaseSerializer(RouterOSRelease.objects.all(), many=True).data,
                "cves": VulnerabilitySerializer(Vulnerability.objects.all()[:500], many=True).data,
            }
        )
