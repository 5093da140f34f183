"""POST …/push-preview/: what a push would send to each device, before anything is sent (see
devices/push/preview.py for what the preview is and is not). Same rules as starting the push:
admins only (`push_config`), site scope, template errors are 400s with the line."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from devices.models import Device
from devices.push.api.serializers import PreviewRequestSerializer, PreviewSerializer
from devices.push.preview import preview_push
from tenants.api.base import TenantScopedViewSet
from tenants.api.serializers import ErrorSerializer
from tenants.roles import Action


class PushPreviewViewSet(TenantScopedViewSet):
    """Render a push for its devices without sending it."""

    queryset = Device.objects.all()
    serializer_class = PreviewSerializer
    write_action = Action.PUSH_CONFIG
    http_method_names = ["post", "options"]

    @extend_schema(
        request=PreviewRequestSerializer,
        responses={200: PreviewSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = PreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        preview = preview_push(
            self.access,
            params=data["params"],
            devices=data.get("devices"),
            site=data.get("site"),
            all_devices=data.get("all", False),
        )
        return Response(PreviewSerializer(preview).data)
