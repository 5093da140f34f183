"""Device inventory routes under /api/v1/tenants/{tenant}/ (included from mikman/api_urls.py)."""

from rest_framework.routers import DefaultRouter

from devices.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
prefix = r"tenants/(?P<tenant>[a-z0-9-]+)"
router.register(rf"{prefix}/devices", views.DeviceViewSet, basename="device")
router.register(rf"{prefix}/credential-profiles", views.CredentialProfileViewSet, basename="credential-profile")
router.register(rf"{prefix}/device-events", views.DeviceEventViewSet, basename="device-event")
router.register(rf"{prefix}/device-checks", views.ConnectivityCheckViewSet, basename="device-check")

urlpatterns = router.urls
