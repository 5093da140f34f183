from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from devices.alerts.receiver import demo_receiver
from mikman import views

# ops (issue 8): under the Content-Security-Policy the Swagger UI loads its init script from a URL
# (the split view) instead of inline; Redoc injects <style> elements and a blob: worker, so its
# page alone may do that.
redoc = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", redoc, name="api-redoc"),
    path("api/v1/", include("mikman.api_urls")),
    path("alerts/demo-receiver/<slug:slug>/", demo_receiver, name="alert-demo-receiver"),  # alerts (issue 6)
    path("", include("tenants.urls")),
]
