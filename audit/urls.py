"""Audit log pages (HTML); included from tenants/urls.py."""

from django.urls import path

from audit import views

urlpatterns = [
    path("t/<slug:tenant>/audit/", views.TenantAuditView.as_view(), name="tenant-audit"),
    path("platform/audit/", views.PlatformAuditView.as_view(), name="platform-audit"),
]
