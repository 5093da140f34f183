"""User Manager pages, included under /t/<tenant>/ by tenants/urls.py."""

from django.urls import path

from radius import views as v

urlpatterns = [
    path("radius/", v.UserListView.as_view(), name="radius-users"),
    path("radius/users/add/", v.UserFormView.as_view(), name="radius-user-add"),
    path("radius/users/<uuid:pk>/", v.UserDetailView.as_view(), name="radius-user-detail"),
    path("radius/users/<uuid:pk>/edit/", v.UserFormView.as_view(), name="radius-user-edit"),
    path("radius/users/<uuid:pk>/delete/", v.UserDeleteView.as_view(), name="radius-user-delete"),
    path("radius/users/<uuid:pk>/profiles/", v.AssignProfileView.as_view(), name="radius-user-assign"),
    path("radius/user-profiles/<uuid:pk>/delete/", v.UserProfileDeleteView.as_view(), name="radius-userprofile-delete"),
    path("radius/customers/", v.CustomerListView.as_view(), name="radius-customers"),
    path("radius/customers/add/", v.CustomerFormView.as_view(), name="radius-customer-add"),
    path("radius/customers/<uuid:pk>/edit/", v.CustomerFormView.as_view(), name="radius-customer-edit"),
    path("radius/customers/<uuid:pk>/delete/", v.CustomerDeleteView.as_view(), name="radius-customer-delete"),
    path("radius/profiles/", v.ProfileListView.as_view(), name="radius-profiles"),
    path("radius/profiles/add/", v.ProfileFormView.as_view(), name="radius-profile-add"),
    path("radius/profiles/<uuid:pk>/edit/", v.ProfileFormView.as_view(), name="radius-profile-edit"),
    path("radius/profiles/<uuid:pk>/delete/", v.ProfileDeleteView.as_view(), name="radius-profile-delete"),
    path("radius/profiles/<uuid:pk>/limitations/", v.ProfileLimitationAddView.as_view(), name="radius-pl-add"),
    path(
        "radius/profile-limitations/<uuid:pk>/delete/", v.ProfileLimitationDeleteView.as_view(), name="radius-pl-delete"
    ),
    path("radius/limitations/", v.LimitationListView.as_view(), name="radius-limitations"),
    path("radius/limitations/add/", v.LimitationFormView.as_view(), name="radius-limitation-add"),
    path("radius/limitations/<uuid:pk>/edit/", v.LimitationFormView.as_view(), name="radius-limitation-edit"),
    path("radius/limitations/<uuid:pk>/delete/", v.LimitationDeleteView.as_view(), name="radius-limitation-delete"),
    path("radius/routers/", v.RouterListView.as_view(), name="radius-routers"),
    path("radius/routers/add/", v.RouterFormView.as_view(), name="radius-router-add"),
    path("radius/routers/<uuid:pk>/edit/", v.RouterFormView.as_view(), name="radius-router-edit"),
    path("radius/routers/<uuid:pk>/provision/", v.RouterProvisionView.as_view(), name="radius-router-provision"),
    path("radius/routers/<uuid:pk>/delete/", v.RouterDeleteView.as_view(), name="radius-router-delete"),
    path("radius/routers/<uuid:pk>/simulate/", v.RouterSimulateLoginView.as_view(), name="radius-router-simulate"),
    path("radius/sessions/", v.SessionListView.as_view(), name="radius-sessions"),
    path("radius/sessions/<uuid:pk>/disconnect/", v.SessionDisconnectView.as_view(), name="radius-session-disconnect"),
    path("radius/logs/", v.AuthLogListView.as_view(), name="radius-logs"),
    path("radius/history/", v.HistoryListView.as_view(), name="radius-history"),
    path("radius/history/<uuid:pk>/undo/", v.HistoryActionView.as_view(verb="undo"), name="radius-history-undo"),
    path("radius/history/<uuid:pk>/redo/", v.HistoryActionView.as_view(verb="redo"), name="radius-history-redo"),
    path("radius/vouchers/", v.VoucherView.as_view(), name="radius-vouchers"),
]
