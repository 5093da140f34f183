"""Config backup API: the versions (list, detail, content, diff, download, "back up now"), the
fleet-wide change list, and the tenant's backup policy. Thin: the verbs are in ../services.py."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.services import record
from devices.backups import services
from devices.backups.api.serializers import (
    BackupPolicySerializer,
    BackupQueuedSerializer,
    BackupRequestSerializer,
    ConfigBackupSerializer,
    ContentSerializer,
    DiffSerializer,
    FleetChangeSerializer,
)
from devices.backups.filtersets import ConfigBackupFilterSet
from devices.models import BackupPolicy, BackupStatus, ConfigBackup, Device
from tenants.api.base import TenantScopedViewSet
from tenants.roles import Action

REVEAL_ACTION = Action.MANAGE_DEVICES  # admins: they hold the devices' credentials anyway


def download_name(backup: ConfigBackup) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in backup.device.name)
    return f"{safe}-{backup.taken_at:%Y%m%d-%H%M%S}.rsc"


@extend_schema_view(create=extend_schema(request=BackupRequestSerializer, responses={202: BackupQueuedSerializer}))
class ConfigBackupViewSet(TenantScopedViewSet):
    """Config backup runs (every run, failed ones too; identical versions share their content).
    Everyone in the tenant (in their sites) reads history and diffs — secret values of sensitive
    versions masked unless admin; operators start a backup (`POST` with a device id); only admins
    download sensitive versions. Downloads and manual backups are audited."""

    queryset = ConfigBackup.objects.select_related("device", "triggered_by", "binary")
    serializer_class = ConfigBackupSerializer
    filterset_class = ConfigBackupFilterSet
    ordering_fields = ["taken_at", "size", "status"]
    http_method_names = ["get", "post", "head", "options"]
    write_action = Action.OPERATE

    def create(self, request, *args, **kwargs):
        """Back up one device now: queued for a worker; the run appears in this list."""
        params = BackupRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        device = Device.objects.restrict(self.access, Action.OPERATE).filter(pk=params.validated_data["device"]).first()
        if device is None:
            raise exceptions.NotFound("No such device.")
        services.request_backup(self.access, device)
        return Response({"device": device.pk, "queued": True}, status=status.HTTP_202_ACCEPTED)

    def _reveal(self) -> bool:
        return self.access.allows(REVEAL_ACTION)

    def _version(self, pk) -> ConfigBackup:
        try:
            pk = uuid.UUID(str(pk))
        except ValueError:
            raise exceptions.NotFound("No such backup.") from None
        backup = self.get_queryset().select_related("blob").filter(pk=pk).first()
        if backup is None:
            raise exceptions.NotFound("No such backup.")
        return backup

    @extend_schema(responses={200: ContentSerializer})
    @action(detail=True, methods=["get"])
    def content(self, request, *args, **kwargs):
        """The stored (normalised) export of this version."""
        backup = self._version(self.get_object().pk)
        if backup.status != BackupStatus.OK:
            raise exceptions.ValidationError({"id": "This backup failed; it has no content."})
        reveal = self._reveal()
        text = services.backup_text(backup, reveal_secrets=reveal)
        return Response({"id": backup.pk, "masked": backup.sensitive and not reveal, "text": text})

    @extend_schema(
        parameters=[
            OpenApiParameter("against", OpenApiTypes.UUID, description="Older version (default: the previous one)"),
            OpenApiParameter("context", OpenApiTypes.INT, description="Unchanged lines around changes (default 3)"),
        ],
        responses={200: DiffSerializer},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, *args, **kwargs):
        """Unified diff from `against` (or the device's previous good version) to this version."""
        new = self._version(self.get_object().pk)
        if new.status != BackupStatus.OK:
            raise exceptions.ValidationError({"id": "This backup failed; it has no content to compare."})
        against = request.query_params.get("against")
        if against:
            old = self._version(against)
            if old.status != BackupStatus.OK:
                raise exceptions.ValidationError({"against": "That backup failed; it has no content to compare."})
        else:
            old = services.previous_version(new)
        try:
            context = max(0, min(int(request.query_params.get("context", 3)), 1000))
        except ValueError:
            raise exceptions.ValidationError({"context": "A whole number of lines."}) from None
        text = services.unified_diff(old, new, reveal_secrets=self._reveal(), context=context)
        added, removed = services.diff_stats(text)
        return Response(
            {"old": old.pk if old else None, "new": new.pk, "added": added, "removed": removed, "diff": text}
        )

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def download(self, request, *args, **kwargs):
        """This version as a `.rsc` file (sensitive versions: admins only). Audited."""
        backup = self._version(self.get_object().pk)
        if backup.status != BackupStatus.OK:
            raise exceptions.ValidationError({"id": "This backup failed; there is nothing to download."})
        if backup.sensitive and not self._reveal():
            raise exceptions.PermissionDenied("This version holds secrets: only admins may download it.")
        text = services.download_text(backup)
        record("backup.downloaded", tenant=self.access.tenant, target=backup.device, details={"backup": str(backup.pk)})
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{download_name(backup)}"'
        return response

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def binary(self, request, *args, **kwargs):
        """This run's binary `/system backup save` file (admins only: it holds every secret of
        the router). Audited."""
        backup = self._version(self.get_object().pk)
        if not self._reveal():
            raise exceptions.PermissionDenied(
                "Binary backups hold every secret of the router: only admins may download them."
            )
        binary = services.binary_of(backup)
        if binary is None or not binary.ok:
            raise exceptions.NotFound("This run has no binary backup.")
        data = services.binary_bytes(binary)
        record(
            "backup.binary_downloaded",
            tenant=self.access.tenant,
            target=backup.device,
            details={"backup": str(backup.pk), "sha256": binary.sha256},
        )
        response = HttpResponse(data, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{services.binary_name(backup)}"'
        return response

    @extend_schema(
        parameters=[OpenApiParameter("since", OpenApiTypes.DATETIME, description="ISO 8601 (default: 7 days ago)")],
        responses={200: FleetChangeSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def changes(self, request, *args, **kwargs):
        """What changed across the fleet since `since`: per device whose config changed, the
        version before and the newest one, with the diff's size."""
        raw = request.query_params.get("since", "")
        since = parse_since(raw) if raw else timezone.now() - timedelta(days=7)
        changes = services.fleet_changes(self.get_queryset(), since, reveal_secrets=self._reveal())
        return Response(FleetChangeSerializer(changes, many=True).data)


def parse_since(value: str):
    """ISO 8601 with any offset, as UTC (PostgreSQL refuses offsets past ±15:59); else a 400."""
    try:
        since = parse_datetime(value.strip().replace(" ", "+")) if value else None
        if since is not None:
            since = timezone.make_aware(since, UTC) if timezone.is_naive(since) else since.astimezone(UTC)
    except (ValueError, OverflowError):
        since = None
    if since is None:
        raise exceptions.ValidationError({"since": "An ISO 8601 date and time, e.g. 2026-11-01T00:00:00Z."})
    return since


class BackupPolicyViewSet(TenantScopedViewSet):
    """The tenant's backup policy (at most one). Everyone reads it (the list shows the defaults
    while none is saved); admins create or change it."""

    queryset = BackupPolicy.objects.all()
    serializer_class = BackupPolicySerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    write_action = Action.MANAGE_DEVICES
    pagination_class = None

    def list(self, request, *args, **kwargs):
        policy = services.policy_for(self.access.tenant.id)
        data = dict(self.get_serializer(policy).data)
        if policy._state.adding:
            data["id"] = None  # the defaults: nothing saved yet (POST creates it)
        return Response([data])

    def perform_create(self, serializer):
        if BackupPolicy.objects.filter(tenant_id=self.access.tenant.id).exists():
            raise exceptions.ValidationError({"tenant": "The tenant already has a backup policy: change it instead."})
        policy = services.save_policy(self.access, BackupPolicy(), dict(serializer.validated_data))
        serializer.instance = policy

    def perform_update(self, serializer):
        serializer.instance = services.save_policy(self.access, serializer.instance, dict(serializer.validated_data))
