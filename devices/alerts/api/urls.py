"""Alerting routes under /api/v1/tenants/{tenant}/ (included from mikman/api_urls.py)."""

from rest_framework.routers import DefaultRouter

from devices.alerts.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
prefix = r"tenants/(?P<tenant>[a-z0-9-]+)"
router.register(rf"{prefix}/alerts", views.AlertViewSet, basename="alert")
router.register(rf"{prefix}/alert-rules", views.AlertRuleViewSet, basename="alert-rule")
router.register(rf"{prefix}/alert-channels", views.NotificationChannelViewSet, basename="alert-channel")
router.register(rf"{prefix}/alert-deliveries", views.DeliveryViewSet, basename="alert-delivery")
router.register(rf"{prefix}/maintenance-windows", views.MaintenanceWindowViewSet, basename="maintenance-window")

urlpatterns = router.urls
