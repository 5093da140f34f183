"""Jobs routes under /api/v1/tenants/{tenant}/ (included from mikman/api_urls.py)."""

from rest_framework.routers import DefaultRouter

from devices.jobs.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
prefix = r"tenants/(?P<tenant>[a-z0-9-]+)"
router.register(rf"{prefix}/jobs", views.JobViewSet, basename="job")
router.register(rf"{prefix}/job-devices", views.JobDeviceViewSet, basename="job-device")

urlpatterns = router.urls
