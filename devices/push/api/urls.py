"""Push routes under /api/v1/tenants/{tenant}/ (included from mikman/api_urls.py). Pushes and
restores themselves are jobs: POST …/jobs/ with kind "push" or "restore"."""

from django.urls import re_path

from devices.push.api import views

urlpatterns = [
    re_path(
        r"^tenants/(?P<tenant>[a-z0-9-]+)/push-preview/$",
        views.PushPreviewViewSet.as_view({"post": "create"}),
        name="push-preview",
    ),
]
