"""/api/v1/: platform routes and tenant routes under /api/v1/tenants/{tenant}/."""

from django.urls import include, path

urlpatterns = [
    path("", include("tenants.api.urls")),
    path("", include("audit.api.urls")),
    # --- inventory (issue 4): devices, credential profiles, events, checks ---
    path("", include("devices.api.urls")),
    # --- end inventory ---
    # --- polling engineer (issue 4): device metrics and the fleet summary ---
    path("", include("devices.api.metrics_urls")),
    # --- end polling engineer ---
    path("", include("devices.feeds.api.urls")),  # version and CVE feeds (issue 5)
    path("", include("devices.backups.api.urls")),  # config backups (issue 5)
    path("", include("devices.jobs.api.urls")),  # jobs: commands and bulk operations (issue 5)
    path("", include("devices.push.api.urls")),  # config push preview (issue 5)
    path("", include("radius.api.urls")),  # RADIUS User Manager (issue 7)
    path("", include("devices.alerts.api.urls")),  # alerts, rules, channels, windows (issue 6)
]
