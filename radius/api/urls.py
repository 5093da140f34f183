"""User Manager routes under /api/v1/tenants/{tenant}/radius/ (included from mikman/api_urls.py)."""

from rest_framework.routers import DefaultRouter

from radius.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
prefix = r"tenants/(?P<tenant>[a-z0-9-]+)/radius"
router.register(rf"{prefix}/customers", views.CustomerViewSet, basename="radius-customer")
router.register(rf"{prefix}/groups", views.GroupViewSet, basename="radius-group")
router.register(rf"{prefix}/attributes", views.CustomAttributeViewSet, basename="radius-attribute")
router.register(rf"{prefix}/users", views.RadiusUserViewSet, basename="radius-user")
router.register(rf"{prefix}/profiles", views.ProfileViewSet, basename="radius-profile")
router.register(rf"{prefix}/limitations", views.LimitationViewSet, basename="radius-limitation")
router.register(rf"{prefix}/profile-limitations", views.ProfileLimitationViewSet, basename="radius-profile-limitation")
router.register(rf"{prefix}/user-profiles", views.UserProfileViewSet, basename="radius-user-profile")
router.register(rf"{prefix}/routers", views.RouterViewSet, basename="radius-router")
router.register(rf"{prefix}/sessions", views.SessionViewSet, basename="radius-session")
router.register(rf"{prefix}/logs", views.AuthLogViewSet, basename="radius-log")
router.register(rf"{prefix}/history", views.HistoryViewSet, basename="radius-history")
router.register(rf"{prefix}/vouchers", views.VoucherBatchViewSet, basename="radius-voucher")

urlpatterns = router.urls
