"""Config backup pages, included under /t/<tenant>/ by tenants/urls.py."""

from django.urls import path

from devices.backups import views

urlpatterns = [
    path("devices/<uuid:device_id>/backups/", views.DeviceBackupsView.as_view(), name="device-backups"),
    path("devices/<uuid:device_id>/backups/run/", views.BackupNowView.as_view(), name="device-backup-now"),
    path("backups/changes/", views.FleetChangesView.as_view(), name="backup-changes"),
    path("backups/policy/", views.BackupPolicyView.as_view(), name="backup-policy"),
    path("backups/<uuid:backup_id>/", views.BackupDetailView.as_view(), name="backup-detail"),
    path("backups/<uuid:backup_id>/diff/", views.BackupDiffView.as_view(), name="backup-diff"),
    path("backups/<uuid:backup_id>/download/", views.BackupDownloadView.as_view(), name="backup-download"),
    path("backups/<uuid:backup_id>/binary/", views.BinaryDownloadView.as_view(), name="backup-binary"),
]
