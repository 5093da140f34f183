"""Device inventory pages, included under /t/<tenant>/ by tenants/urls.py."""

from django.urls import path

from devices import live_views, views
from devices.feeds.views import CveExposureView
from devices.firmware.views import UpdateCheckView, UpgradePlannerView

urlpatterns = [
    path("devices/", views.DeviceListView.as_view(), name="device-list"),
    path("devices/add/", views.DeviceFormView.as_view(), name="device-add"),
    path("devices/import/", views.DeviceImportView.as_view(), name="device-import"),
    path("devices/checks/<uuid:check_id>/", views.CheckStatusView.as_view(), name="device-check-status"),
    path("devices/<uuid:device_id>/", views.DeviceDetailView.as_view(), name="device-detail"),
    path("devices/<uuid:device_id>/edit/", views.DeviceFormView.as_view(), name="device-edit"),
    path("devices/<uuid:device_id>/remove/", views.DeviceRemoveView.as_view(), name="device-remove"),
    path("devices/<uuid:device_id>/check/", views.DeviceCheckView.as_view(), name="device-check"),
    path("devices/<uuid:device_id>/retry/", views.DeviceRetryView.as_view(), name="device-retry"),
    path("live/", live_views.LiveUpdatesView.as_view(), name="live-updates"),  # SSE for the pages' live updates
    path("cves/", CveExposureView.as_view(), name="cve-exposure"),
    path("upgrades/", UpgradePlannerView.as_view(), name="upgrade-planner"),
    path("upgrades/check/", UpdateCheckView.as_view(), name="upgrade-check"),
    path("credentials/", views.CredentialListView.as_view(), name="credential-list"),
    path("credentials/add/", views.CredentialFormView.as_view(), name="credential-add"),
    path("credentials/<uuid:profile_id>/edit/", views.CredentialFormView.as_view(), name="credential-edit"),
    path("credentials/<uuid:profile_id>/delete/", views.CredentialDeleteView.as_view(), name="credential-delete"),
]
