"""Read-only audit endpoints: a tenant's log, and the platform log for super admins.

Both list newest first, take the AuditEntryFilterSet parameters and export CSV (`?format=csv` or
`…/audit/export.csv`, the whole filtered list, streamed). Exporting is itself recorded.
"""

from __future__ import annotations

import csv
import io

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, renderers, viewsets
from rest_framework.settings import api_settings

from audit import services
from audit.api.serializers import AuditEntrySerializer
from audit.export import csv_response
from audit.filtersets import AuditEntryFilterSet
from audit.models import AuditEntry
from tenants.api.base import TenantScopedReadOnlyViewSet


class AuditCSVRenderer(renderers.BaseRenderer):
    """Makes `?format=csv` a known format. Entries are streamed by the view, not rendered here;
    what reaches this renderer is an error, written as a one-row CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        error = data.get("error", {}) if isinstance(data, dict) else {}
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["status", "code", "message"])
        writer.writerow([error.get("status", ""), error.get("code", ""), error.get("message", "")])
        return out.getvalue()


class AuditExportMixin:
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, AuditCSVRenderer]
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilterSet
    ordering_fields = ["seq", "created"]
    search_fields = ["username", "action", "target_name"]
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == AuditCSVRenderer.format:
            return self.export(request, *args, **kwargs)
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Export the filtered log as CSV (streamed)",
        filters=True,
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def export(self, request, *args, **kwargs):
        entries = self.filter_queryset(self.get_queryset())
        tenant = self.export_tenant()
        services.record(
            "audit.exported",
            user=request.user,
            tenant=tenant,
            details={"filters": {key: request.query_params.getlist(key) for key in request.query_params}},
            request=request,
        )
        scope = tenant.slug if tenant is not None else "platform"
        return csv_response(entries, f"audit-{scope}-{timezone.now():%Y%m%d-%H%M%S}.csv")

    def export_tenant(self):
        raise NotImplementedError


class TenantAuditViewSet(AuditExportMixin, TenantScopedReadOnlyViewSet):
    """/api/v1/tenants/{tenant}/audit/: members whose role has the VIEW action; site-scoped members
    see only their sites' entries (see audit.services.entries_for)."""

    queryset = AuditEntry.objects.order_by("-seq")

    def get_queryset(self):
        return services.entries_for(self.access)

    def export_tenant(self):
        return self.access.tenant


class PlatformAuditViewSet(AuditExportMixin, viewsets.ReadOnlyModelViewSet):
    """/api/v1/platform/audit/: platform events (logins, users, tenants) for super admins; a 404
    for everyone else, as if the endpoint did not exist."""

    queryset = AuditEntry.objects.filter(tenant__isnull=True).order_by("-seq")
    http_method_names = ["get", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.is_super_admin:
            raise exceptions.NotFound()

    def get_queryset(self):
        return services.platform_entries(self.request.user)

    def export_tenant(self):
        return None
