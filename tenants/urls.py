"""The web UI's routes. Tenant pages live under /t/<tenant>/; platform pages under /platform/."""

from django.urls import include, path

from tenants.views import account, auth, platform, tenant

tenant_patterns = [
    path("", tenant.DashboardView.as_view(), name="tenant-dashboard"),
    path("sites/", tenant.SiteListView.as_view(), name="tenant-sites"),
    path("sites/new/", tenant.SiteFormView.as_view(), name="tenant-site-create"),
    path("sites/<uuid:site_id>/edit/", tenant.SiteFormView.as_view(), name="tenant-site-edit"),
    path("members/", tenant.MemberListView.as_view(), name="tenant-members"),
    path("members/add/", tenant.MemberAddView.as_view(), name="tenant-member-add"),
    path("members/<uuid:membership_id>/edit/", tenant.MemberEditView.as_view(), name="tenant-member-edit"),
    path("members/<uuid:membership_id>/remove/", tenant.MemberRemoveView.as_view(), name="tenant-member-remove"),
    # --- inventory (issue 4): devices and credential profiles ---
    path("", include("devices.urls")),
    path("", include("devices.alerts.urls")),  # alerts, rules, channels, windows (issue 6)
    # --- end inventory ---
    path("", include("devices.jobs.urls")),  # jobs: commands and bulk operations (issue 5)
    path("", include("devices.backups.urls")),  # config backups (issue 5)
    path("", include("devices.push.urls")),  # config push wizard (issue 5)
    path("", include("radius.urls")),  # RADIUS User Manager (issue 7)
]

urlpatterns = [
    path("", platform.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("login/verify/", auth.login_verify, name="login-verify"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("switch/", platform.switch_tenant, name="switch-tenant"),
    path("account/", account.account, name="account"),
    path("account/2fa/", account.twofactor_settings, name="account-2fa"),
    path("account/2fa/start/", account.twofactor_start, name="account-2fa-start"),
    path("account/2fa/confirm/", account.twofactor_confirm, name="account-2fa-confirm"),
    path("account/2fa/disable/", account.twofactor_disable, name="account-2fa-disable"),
    path("account/2fa/backup-codes/", account.twofactor_regenerate, name="account-2fa-regenerate"),
    path("account/tokens/", account.tokens, name="account-tokens"),
    path("account/tokens/<uuid:token_id>/revoke/", account.token_revoke, name="account-token-revoke"),
    path("platform/tenants/", platform.TenantListView.as_view(), name="platform-tenants"),
    path("platform/tenants/new/", platform.TenantFormView.as_view(), name="platform-tenant-create"),
    path("platform/tenants/<slug:slug>/edit/", platform.TenantFormView.as_view(), name="platform-tenant-edit"),
    path("platform/users/", platform.UserListView.as_view(), name="platform-users"),
    path("platform/users/<int:user_id>/edit/", platform.UserEditView.as_view(), name="platform-user-edit"),
    path("platform/users/<int:user_id>/active/", platform.UserActiveView.as_view(), name="platform-user-active"),
    path("platform/settings/", platform.PlatformSettingsView.as_view(), name="platform-settings"),
    path("t/<slug:tenant>/", include(tenant_patterns)),
    path("", include("audit.urls")),
]
