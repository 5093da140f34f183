"""Config backup routes under /api/v1/tenants/{tenant}/ (included from mikman/api_urls.py)."""

from rest_framework.routers import DefaultRouter

from devices.backups.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
prefix = r"tenants/(?P<tenant>[a-z0-9-]+)"
router.register(rf"{prefix}/backups", views.ConfigBackupViewSet, basename="config-backup")
router.register(rf"{prefix}/backup-policy", views.BackupPolicyViewSet, basename="backup-policy")

urlpatterns = router.urls
