"""Metrics routes under /api/v1/tenants/{tenant}/ (included from mikman/api_urls.py)."""

from django.urls import re_path

from devices.api import metrics_views

TENANT = r"^tenants/(?P<tenant>[a-z0-9-]+)"
DEVICE = r"devices/(?P<pk>[0-9a-fA-F-]{36})"

urlpatterns = [
    re_path(
        rf"{TENANT}/{DEVICE}/metrics/latest/$",
        metrics_views.DeviceMetricsViewSet.as_view({"get": "latest"}),
        name="device-metrics-latest",
    ),
    re_path(
        rf"{TENANT}/{DEVICE}/metrics/$",
        metrics_views.DeviceMetricsViewSet.as_view({"get": "series"}),
        name="device-metrics",
    ),
    re_path(
        rf"{TENANT}/fleet/summary/$",
        metrics_views.FleetSummaryViewSet.as_view({"get": "summary"}),
        name="fleet-summary",
    ),
]
