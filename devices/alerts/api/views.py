"""Alerting API (thin: writes go through devices.alerts.services).

Roles: everyone in the tenant reads (alerts in their sites); operators acknowledge; admins edit
rules, channels and maintenance windows and send test notifications."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from devices.alerts import services
from devices.alerts.filtersets import AlertFilterSet, DeliveryFilterSet
from devices.models import Alert, AlertRule, Delivery, MaintenanceWindow, NotificationChannel
from tenants.api.base import TenantScopedReadOnlyViewSet, TenantScopedViewSet
from tenants.roles import Action

from .serializers import (
    AlertRuleSerializer,
    AlertSerializer,
    DeliverySerializer,
    MaintenanceWindowSerializer,
    NotificationChannelSerializer,
)


class AlertRuleViewSet(TenantScopedViewSet):
    """Alert rules of the tenant (defaults are created with the tenant; admins tune them)."""

    queryset = AlertRule.objects.all()
    serializer_class = AlertRuleSerializer
    filterset_fields = ["kind", "severity", "enabled"]
    ordering_fields = ["name", "kind", "severity", "created"]
    write_action = Action.MANAGE_ALERTS

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.save_rule(self.access, None, serializer.validated_data)
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        rule = services.save_rule(self.access, rule, serializer.validated_data)
        return Response(self.get_serializer(rule).data)

    def destroy(self, request, *args, **kwargs):
        services.delete_rule(self.access, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertViewSet(TenantScopedViewSet):
    """Alerts (open and history), in the user's sites. Operators acknowledge firing ones."""

    queryset = Alert.objects.select_related("rule", "device__site", "acknowledged_by")
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    ordering_fields = ["started_at", "severity", "state", "resolved_at"]
    http_method_names = ["get", "post", "head", "options"]
    write_action = Action.OPERATE
    action_overrides = {"acknowledge": Action.OPERATE}

    def get_queryset(self):
        return super().get_queryset().select_related("rule", "device__site", "acknowledged_by")

    def create(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("POST", detail="Alerts are raised by rules, not created by hand.")

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, *args, **kwargs):
        """Firing → acknowledged (by you). 400 if it is not firing."""
        alert = services.acknowledge(self.access, self.get_object())
        return Response(self.get_serializer(alert).data)


class NotificationChannelViewSet(TenantScopedViewSet):
    """Where notifications go: e-mail, Slack, webhook (HMAC-SHA256 signed), ntfy. URLs and
    secrets are write-only; `url_set`/`secret_set` say whether one is stored."""

    queryset = NotificationChannel.objects.all()
    serializer_class = NotificationChannelSerializer
    filterset_fields = ["kind", "enabled"]
    ordering_fields = ["name", "kind", "created"]
    write_action = Action.MANAGE_ALERTS
    action_overrides = {"test": Action.MANAGE_ALERTS}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, secrets = serializer.split()
        channel = services.save_channel(self.access, None, data, secrets)
        return Response(self.get_serializer(channel).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        channel = self.get_object()
        serializer = self.get_serializer(channel, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data, secrets = serializer.split()
        channel = services.save_channel(self.access, channel, data, secrets)
        return Response(self.get_serializer(channel).data)

    def destroy(self, request, *args, **kwargs):
        services.delete_channel(self.access, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, *args, **kwargs):
        """Send a test notification; follow it in `alert-deliveries/?channel=<id>`."""
        delivery = services.send_test(self.access, self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(TenantScopedReadOnlyViewSet):
    """The delivery log: every notification, its attempts and their status codes."""

    queryset = Delivery.objects.select_related("channel")
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    ordering_fields = ["created", "state"]

    def get_queryset(self):
        return super().get_queryset().select_related("channel")


class MaintenanceWindowViewSet(TenantScopedViewSet):
    """Maintenance windows (tenant, site or device; one-off or weekly, UTC): alerts that start
    inside one are recorded but not notified."""

    queryset = MaintenanceWindow.objects.all()
    serializer_class = MaintenanceWindowSerializer
    ordering_fields = ["name", "created"]
    write_action = Action.MANAGE_ALERTS

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        window = services.save_window(self.access, None, serializer.validated_data)
        return Response(self.get_serializer(window).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        window = self.get_object()
        serializer = self.get_serializer(window, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        window = services.save_window(self.access, window, serializer.validated_data)
        return Response(self.get_serializer(window).data)

    def destroy(self, request, *args, **kwargs):
        services.delete_window(self.access, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
