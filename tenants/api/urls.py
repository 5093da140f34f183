from django.urls import path
from rest_framework.routers import DefaultRouter

from tenants.api import account, views

platform = DefaultRouter(trailing_slash=True)
platform.include_root_view = False
platform.register("tenants", views.TenantViewSet, basename="tenant")
platform.register("users", views.UserViewSet, basename="user")
platform.register("tokens", account.APITokenViewSet, basename="apitoken")

tenant = DefaultRouter(trailing_slash=True)
tenant.include_root_view = False
tenant.register(r"tenants/(?P<tenant>[a-z0-9-]+)/sites", views.SiteViewSet, basename="site")
tenant.register(r"tenants/(?P<tenant>[a-z0-9-]+)/members", views.MemberViewSet, basename="member")

urlpatterns = [
    path("auth/token/", account.ObtainTokenView.as_view(), name="auth-token"),
    path("me/", account.MeView.as_view(), name="me"),
    path("me/2fa/", account.TwoFactorStatusView.as_view(), name="me-2fa"),
    path("me/2fa/enrol/", account.TwoFactorEnrolView.as_view(), name="me-2fa-enrol"),
    path("me/2fa/confirm/", account.TwoFactorConfirmView.as_view(), name="me-2fa-confirm"),
    path("me/2fa/disable/", account.TwoFactorDisableView.as_view(), name="me-2fa-disable"),
    path("me/2fa/backup-codes/", account.BackupCodesView.as_view(), name="me-2fa-backup-codes"),
    path("platform/security/", views.PlatformSecurityView.as_view(), name="platform-security"),
    *platform.urls,
    *tenant.urls,
]
