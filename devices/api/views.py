"""Device inventory API: devices (+ check, retry, import), credential profiles, events, checks.
Thin: every write goes through devices.services (role, site scope, audit, secrets)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from devices import importer, services
from devices.api.serializers import (
    CheckRefSerializer,
    ConnectivityCheckSerializer,
    CredentialProfileSerializer,
    DeviceEventSerializer,
    DeviceSerializer,
    ImportRequestSerializer,
    ImportResultSerializer,
    NewDeviceSerializer,
    check_ref,
)
from devices.filtersets import (
    ConnectivityCheckFilterSet,
    CredentialProfileFilterSet,
    DeviceEventFilterSet,
    DeviceFilterSet,
)
from devices.models import ConnectivityCheck, CredentialProfile, Device, DeviceEvent
from tenants.api.base import TenantScopedReadOnlyViewSet, TenantScopedViewSet
from tenants.api.responses import error_response
from tenants.api.serializers import ErrorSerializer
from tenants.roles import Action


@extend_schema_view(create=extend_schema(responses={201: NewDeviceSerializer}))
class DeviceViewSet(TenantScopedViewSet):
    """RouterOS devices of the tenant. Adding one starts a connectivity check at once (its id is
    in the response's `check`). Admins add, change and remove devices; operators may run checks
    and retries; everyone in the tenant (in their sites) reads. Credentials are write-only."""

    queryset = Device.objects.select_related("site", "credential_profile", "credentials_changed_by")
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet
    search_fields = ["name", "host", "identity"]
    ordering_fields = ["name", "host", "status", "ros_version", "last_seen", "created", "identity", "model"]
    write_action = Action.MANAGE_DEVICES
    action_overrides = {"check": Action.OPERATE, "retry": Action.OPERATE, "import_csv": Action.MANAGE_DEVICES}

    def get_queryset(self):
        return super().get_queryset().select_related("site", "credential_profile", "credentials_changed_by")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, secrets = serializer.split()
        device, check = services.add_device_and_check(self.access, data, secrets=secrets)
        context = {**self.get_serializer_context(), "check": check}
        return Response(NewDeviceSerializer(device, context=context).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        device = self.get_object()
        serializer = self.get_serializer(device, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data, secrets = serializer.split()
        device = services.update_device(self.access, device, data, secrets=secrets)
        return Response(self.get_serializer(device).data)

    def destroy(self, request, *args, **kwargs):
        services.remove_device(self.access, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: CheckRefSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request, *args, **kwargs):
        """Start a connectivity check (a Celery task); poll the returned check's URL."""
        check = services.request_check(self.access, self.get_object())
        return Response(check_ref(check, self.get_serializer_context()), status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: DeviceSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, *args, **kwargs):
        """Clear an authentication block and the backoff: the poller tries again at once."""
        device = services.retry_device(self.access, self.get_object())
        return Response(self.get_serializer(device).data)

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer, "application/json": ImportRequestSerializer},
        responses={201: ImportResultSerializer, 400: ErrorSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def import_csv(self, request, *args, **kwargs):
        """Import devices from CSV (a `file` upload or `csv` text). All rows valid: all created in
        one transaction (201). Any row invalid: nothing created, every row's errors (400)."""
        params = ImportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data.get("file")
        if upload is not None:
            raw, filename = upload.read(importer.MAX_BYTES + 1), upload.name
        elif params.validated_data.get("csv"):
            raw, filename = params.validated_data["csv"], ""
        else:
            raise exceptions.ValidationError({"file": ["Upload a CSV `file` or send `csv` text."]})
        try:
            result = importer.import_devices(self.access, raw, filename=filename)
        except importer.ImportError_ as exc:
            raise exceptions.ValidationError({"file": [str(exc)]}) from None
        if not result.ok:
            return error_response(
                400,
                "invalid_rows",
                f"{len(result.errors)} of {result.total} rows are invalid; nothing was imported.",
                {"rows": result.errors},
            )
        checks = {}
        if params.validated_data["check"]:
            checks = {d.pk: services.request_check(self.access, d) for d in result.created}
        body = {
            "created": len(result.created),
            "devices": [
                {"id": str(d.pk), "name": d.name, **({"check": str(checks[d.pk].pk)} if d.pk in checks else {})}
                for d in result.created
            ],
            "errors": [],
        }
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: ErrorSerializer}))
class CredentialProfileViewSet(TenantScopedViewSet):
    """Reusable RouterOS logins. Secrets are write-only: responses say `password_set` and when and
    by whom they changed. Deleting a profile that devices use is refused (400)."""

    queryset = CredentialProfile.objects.select_related("changed_by")
    serializer_class = CredentialProfileSerializer
    filterset_class = CredentialProfileFilterSet
    search_fields = ["name", "username"]
    ordering_fields = ["name", "username", "created", "changed_at"]
    write_action = Action.MANAGE_DEVICES

    def get_queryset(self):
        return super().get_queryset().select_related("changed_by")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, secrets = serializer.split()
        profile = services.save_profile(self.access, None, data, secrets=secrets)
        return Response(self.get_serializer(profile).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        profile = self.get_object()
        serializer = self.get_serializer(profile, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data, secrets = serializer.split()
        profile = services.save_profile(self.access, profile, data, secrets=secrets)
        return Response(self.get_serializer(profile).data)

    def destroy(self, request, *args, **kwargs):
        try:
            services.delete_profile(self.access, self.get_object())
        except DjangoValidationError as exc:
            return error_response(409, "in_use", " ".join(exc.messages))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceEventViewSet(TenantScopedReadOnlyViewSet):
    """What happened to devices (status changes, new facts, pinned certificates), newest first."""

    queryset = DeviceEvent.objects.select_related("device")
    serializer_class = DeviceEventSerializer
    filterset_class = DeviceEventFilterSet
    ordering_fields = ["at", "kind"]

    def get_queryset(self):
        return super().get_queryset().select_related("device")


class ConnectivityCheckViewSet(TenantScopedReadOnlyViewSet):
    """Connectivity checks: state queued → running → succeeded/failed, with a specific message."""

    queryset = ConnectivityCheck.objects.select_related("requested_by")
    serializer_class = ConnectivityCheckSerializer
    filterset_class = ConnectivityCheckFilterSet
    ordering_fields = ["created", "finished"]
