"""Audit routes under /api/v1/: read-only (GET, HEAD, OPTIONS)."""

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from audit.api import views

TENANT = r"tenants/(?P<tenant>[a-z0-9-]+)/audit"
PLATFORM = r"platform/audit"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register(TENANT, views.TenantAuditViewSet, basename="tenant-audit")
router.register(PLATFORM, views.PlatformAuditViewSet, basename="platform-audit")

urlpatterns = [
    re_path(
        rf"^{TENANT}/export\.csv$", views.TenantAuditViewSet.as_view({"get": "export"}), name="tenant-audit-export"
    ),
    re_path(
        rf"^{PLATFORM}/export\.csv$",
        views.PlatformAuditViewSet.as_view({"get": "export"}),
        name="platform-audit-export",
    ),
    *router.urls,
]
