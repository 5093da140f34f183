"""/api/v1/: platform routes and tenant routes under /api/v1/tenants/{tenant}/."""

from django.urls import include, path

urlpatterns = [
    path("", include("tenants.api.urls")),
    path("", include("audit.api.urls")),
]
