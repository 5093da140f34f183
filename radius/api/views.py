"""User Manager API: thin viewsets over radius.services (role, history, audit, secrets).

Admins and operators manage; every member reads (site-scoped members read but never write: the
User Manager is tenant-wide). Sessions and the auth log are written by the RADIUS server only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from devices.jobs.api.serializers import JobDetailSerializer
from devices.push.api.serializers import PreviewSerializer
from radius import provisioning, services
from radius.api import serializers as s
from radius.filtersets import (
    AuthLogFilterSet,
    HistoryFilterSet,
    RadiusUserFilterSet,
    SessionFilterSet,
    UserProfileFilterSet,
)
from radius.models import (
    AuthLog,
    CustomAttribute,
    Customer,
    Group,
    History,
    Limitation,
    Profile,
    ProfileLimitation,
    RadiusUser,
    Router,
    Session,
    UserProfile,
    VoucherBatch,
)
from tenants.api.base import TenantScopedReadOnlyViewSet, TenantScopedViewSet
from tenants.api.responses import error_response
from tenants.api.serializers import ErrorSerializer
from tenants.roles import Action


class _NoAction:
    """Hides an inherited viewset action from the router (it maps only what `hasattr` finds), so
    a viewset that needs POST for its own actions does not also get `create`."""

    def __get__(self, obj, owner):
        raise AttributeError("not offered")


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: ErrorSerializer}))
class RadiusViewSet(TenantScopedViewSet):
    """Create/update/delete through radius.services; a delete refused because the object is in
    use answers 409."""

    write_action = Action.OPERATE

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, secrets = serializer.split()
        obj = services.create(self.access, self.queryset.model, data, secrets=secrets)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data, secrets = serializer.split()
        obj = services.update(self.access, obj, data, secrets=secrets)
        return Response(self.get_serializer(obj).data)

    def destroy(self, request, *args, **kwargs):
        try:
            services.delete(self.access, self.get_object())
        except DjangoValidationError as exc:
            return error_response(409, "in_use", " ".join(exc.messages))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerViewSet(RadiusViewSet):
    """Customers (the v6 hierarchy under the tenant, which is the subscriber)."""

    queryset = Customer.objects.select_related("parent")
    serializer_class = s.CustomerSerializer
    filterset_fields = ["parent", "permissions", "disabled"]
    search_fields = ["login", "comment"]
    ordering_fields = ["login", "created"]


class GroupViewSet(RadiusViewSet):
    """User groups: which authentication methods their users may use."""

    queryset = Group.objects.all()
    serializer_class = s.GroupSerializer
    search_fields = ["name"]
    ordering_fields = ["name"]


class CustomAttributeViewSet(RadiusViewSet):
    """The custom attribute dictionary (reply attributes that are not built in)."""

    queryset = CustomAttribute.objects.all()
    serializer_class = s.CustomAttributeSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "vendor_id", "type_id"]


class RadiusUserViewSet(RadiusViewSet):
    """RADIUS users. Passwords and OTP secrets are write-only (`password_set`); `usage` says
    what they used and have left in the current period, and when their profile expires."""

    queryset = RadiusUser.objects.select_related("group", "customer")
    serializer_class = s.RadiusUserSerializer
    filterset_class = RadiusUserFilterSet
    search_fields = ["name", "comment", "caller_id"]
    ordering_fields = ["name", "created", "updated", "disabled"]

    @extend_schema(responses={200: s.UsageSerializer})
    @action(detail=True, methods=["get"])
    def usage(self, request, *args, **kwargs):
        usage = services.user_usage(self.get_object())
        return Response(s.UsageSerializer(usage).data)


class ProfileViewSet(RadiusViewSet):
    queryset = Profile.objects.select_related("customer")
    serializer_class = s.ProfileSerializer
    search_fields = ["name", "name_for_users"]
    ordering_fields = ["name", "price", "created"]


class LimitationViewSet(RadiusViewSet):
    queryset = Limitation.objects.select_related("customer")
    serializer_class = s.LimitationSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created"]


class ProfileLimitationViewSet(RadiusViewSet):
    """Which limitation applies to which profile, when (from/till time, weekdays)."""

    queryset = ProfileLimitation.objects.select_related("profile", "limitation")
    serializer_class = s.ProfileLimitationSerializer
    filterset_fields = ["profile", "limitation"]


class UserProfileViewSet(RadiusViewSet):
    """Users' profile queues. POST appends a profile to a user's queue; the state is computed."""

    queryset = UserProfile.objects.select_related("user", "profile")
    serializer_class = s.UserProfileSerializer
    filterset_class = UserProfileFilterSet
    ordering_fields = ["position", "assigned_at"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    update = partial_update = _NoAction()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        up = services.assign_profile(self.access, data["user"], data["profile"])
        return Response(self.get_serializer(up).data, status=status.HTTP_201_CREATED)


class RouterViewSet(RadiusViewSet):
    """Routers (NAS) allowed to ask this tenant's User Manager. The address is unique across the
    platform (the server identifies the tenant by source address); the secret is write-only."""

    queryset = Router.objects.select_related("device", "customer")
    serializer_class = s.RouterSerializer
    filterset_fields = ["disabled", "device"]
    search_fields = ["name", "address"]
    ordering_fields = ["name", "address", "created"]
    # provisioning pushes configuration to the linked device: admins only, like any push
    action_overrides = {"provision": Action.PUSH_CONFIG, "provision_preview": Action.PUSH_CONFIG}

    @extend_schema(
        request=s.ProvisionSerializer,
        responses={200: PreviewSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="provision-preview")
    def provision_preview(self, request, *args, **kwargs):
        """What provisioning would push to the linked device (the secret masked), and the current
        lines of those menus from the device's latest backup. Nothing is sent."""
        body = s.ProvisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        preview = provisioning.preview_provisioning(self.access, self.get_object(), **body.validated_data)
        return Response(PreviewSerializer(preview).data)

    @extend_schema(
        request=s.ProvisionSerializer,
        responses={201: JobDetailSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def provision(self, request, *args, **kwargs):
        """Push the RADIUS client settings to the linked device as a push job (rollback timer,
        progress at …/jobs/{id}/): `/radius` entry (updated in place on a second run), `/radius
        incoming`, `/ppp aaa`, hotspot profiles' use-radius."""
        body = s.ProvisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = provisioning.provision_router(self.access, self.get_object(), **body.validated_data)
        return Response(JobDetailSerializer(job, context=self.get_serializer_context()).data, status=201)


class SessionViewSet(TenantScopedReadOnlyViewSet):
    """Accounting sessions, newest first (written by the RADIUS server)."""

    queryset = Session.objects.select_related("nas")
    serializer_class = s.SessionSerializer
    filterset_class = SessionFilterSet
    search_fields = ["username", "calling_station_id", "acct_session_id"]
    ordering_fields = ["started_at", "updated_at", "download_bytes", "upload_bytes"]
    http_method_names = ["get", "post", "head", "options"]  # POST: disconnect only
    action_overrides = {"disconnect": Action.OPERATE}
    create = update = partial_update = destroy = _NoAction()

    @extend_schema(request=None, responses={200: s.DisconnectResultSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def disconnect(self, request, *args, **kwargs):
        """Send a Disconnect-Request to the session's router (operators and admins). `result` is
        ack, nak or timeout (the router's answer, recorded on the session); a timeout is not an
        error of the request."""
        session = self.get_object()
        result = services.disconnect_session(self.access, session)
        message = services.DISCONNECT_MESSAGES[result].format(port=session.nas.coa_port)
        body = {"result": result, "message": message, "session": session}
        return Response(s.DisconnectResultSerializer(body).data)


class AuthLogViewSet(TenantScopedReadOnlyViewSet):
    """Authentication results with their reasons, newest first."""

    queryset = AuthLog.objects.select_related("nas")
    serializer_class = s.AuthLogSerializer
    filterset_class = AuthLogFilterSet
    search_fields = ["username", "reason"]
    ordering_fields = ["at"]


class HistoryViewSet(TenantScopedReadOnlyViewSet):
    """Changes to users, profiles and limitations (snapshots without secrets), with undo/redo."""

    queryset = History.objects.select_related("actor")
    serializer_class = s.HistorySerializer
    filterset_class = HistoryFilterSet
    ordering_fields = ["at"]
    http_method_names = ["get", "post", "head", "options"]  # POST: undo and redo only
    action_overrides = {"undo": Action.OPERATE, "redo": Action.OPERATE}
    create = update = partial_update = destroy = _NoAction()

    @extend_schema(request=None, responses={200: s.HistorySerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def undo(self, request, *args, **kwargs):
        """Put the object back as it was before this change (409 if it changed since)."""
        return self._apply(services.undo)

    @extend_schema(request=None, responses={200: s.HistorySerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def redo(self, request, *args, **kwargs):
        """Apply an undone change again (409 if the object changed since the undo)."""
        return self._apply(services.redo)

    def _apply(self, verb):
        try:
            entry = verb(self.access, self.get_object())
        except DjangoValidationError as exc:
            return error_response(409, "conflict", " ".join(exc.messages))
        return Response(self.get_serializer(entry).data)


@extend_schema_view(create=extend_schema(responses={201: s.NewVoucherBatchSerializer}))
class VoucherBatchViewSet(RadiusViewSet):
    """Voucher batches: POST creates `count` users with random names and passwords holding
    `profile`; the passwords are in that response only (print or save them then)."""

    queryset = VoucherBatch.objects.select_related("profile")
    serializer_class = s.VoucherBatchSerializer
    ordering_fields = ["created", "name"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    update = partial_update = _NoAction()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch, cards = services.generate_vouchers(self.access, **serializer.validated_data)
        context = {**self.get_serializer_context(), "cards": cards}
        return Response(s.NewVoucherBatchSerializer(batch, context=context).data, status=status.HTTP_201_CREATED)
