from rest_framework.routers import DefaultRouter

from tenants.api import views

platform = DefaultRouter(trailing_slash=True)
platform.include_root_view = False
platform.register("tenants", views.TenantViewSet, basename="tenant")

tenant = DefaultRouter(trailing_slash=True)
tenant.include_root_view = False
tenant.register(r"tenants/(?P<tenant>[a-z0-9-]+)/sites", views.SiteViewSet, basename="site")

urlpatterns = platform.urls + tenant.urls
