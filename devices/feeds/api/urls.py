from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register(r"tenants/(?P<tenant>[a-z0-9-]+)/cve-exposure", views.CveExposureViewSet, basename="cve-exposure")

urlpatterns = [*router.urls, path("feeds/", views.FeedsView.as_view(), name="feeds")]
