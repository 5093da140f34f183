"""Push pages, included under /t/<tenant>/ from tenants/urls.py."""

from django.urls import path

from devices.push import views

urlpatterns = [
    path("push/", views.PushView.as_view(), name="push"),
    path("push/restore/<uuid:backup_id>/", views.RestoreView.as_view(), name="push-restore"),
]
