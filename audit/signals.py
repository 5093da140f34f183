"""What is recorded without anyone calling `record()`.

- Password logins, logouts and failed logins (Django's auth signals; a failure stores the attempted
  username, never the credentials) and wrong codes entered through django-otp's forms.
- Creation, change and deletion of tenants and users (platform events), of memberships with their
  site scopes, and of sites (events of the tenant concerned, so its admins see who was given
  access). Changes list the fields that changed, old and new; a password change is its own action
  and carries no value. Saves that touch none of the tracked fields (a login's `last_login`) and
  fixture loading (`raw`) record nothing.

The actor is the authenticated user of the request being served (AuditRequestMiddleware); changes
made by commands and tasks have none. Queryset `update()`/`bulk_create()` send no signals: code
that changes these models in bulk calls `audit.services.record` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.forms import otp_verification_failed

from audit import services
from tenants.models import Membership, MembershipSite, Site, Tenant, User


@receiver(user_logged_in, dispatch_uid="audit.login")
def _logged_in(sender, request, user, **kwargs):
    services.record("auth.login", user=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit.logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        services.record("auth.logout", user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get(get_user_model().USERNAME_FIELD, "")
    services.record("auth.login_failed", details={"username": str(username)[:150]}, request=request)


@receiver(otp_verification_failed, dispatch_uid="audit.2fa_failed")
def _otp_failed(sender, user, **kwargs):
    services.two_factor_failed(user)


# --- Platform and tenant structure -------------------------------------------------------------


@dataclass(frozen=True)
class Tracked:
    noun: str  # the action prefix: tenant.created, user.changed …
    fields: tuple[str, ...]  # compared before and after a save; described on create/delete


SECRET_FIELD = "password"
TRACKED: dict[type[Model], Tracked] = {
    Tenant: Tracked("tenant", ("name", "slug", "active", "require_2fa")),
    User: Tracked(
        "user",
        (
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "is_super_admin",
            "require_2fa",
            SECRET_FIELD,
        ),
    ),
    Membership: Tracked("membership", ("role",)),
    Site: Tracked("site", ("name", "slug", "description")),
}


def _described(instance: Model, tracked: Tracked) -> dict:
    details = {name: getattr(instance, name) for name in tracked.fields if name != SECRET_FIELD}
    if isinstance(instance, Membership):
        details["user"] = instance.user.get_username()
    return details


def _origin_model(origin) -> type[Model] | None:
    if origin is None:
        return None
    return origin.model if isinstance(origin, QuerySet) else type(origin)


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._audit_changes = {}
    if raw or instance._state.adding:
        return
    fields = [name for name in TRACKED[sender].fields if update_fields is None or name in update_fields]
    if not fields:
        return
    before = sender._base_manager.filter(pk=instance.pk).values(*fields).first() or {}
    instance._audit_changes = {
        name: [before[name], getattr(instance, name)]
        for name in fields
        if name in before and before[name] != getattr(instance, name)
    }


def _after_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    tracked = TRACKED[sender]
    if created:
        services.record(f"{tracked.noun}.created", target=instance, details=_described(instance, tracked))
        return
    changes = instance.__dict__.pop("_audit_changes", {})
    if changes.pop(SECRET_FIELD, None) is not None:
        services.record(f"{tracked.noun}.password_changed", target=instance)
    if changes:
        services.record(f"{tracked.noun}.changed", target=instance, details={"changes": changes})


def _after_delete(sender, instance, origin=None, **kwargs):
    # Rows removed because their tenant is being deleted are covered by the tenant.deleted entry.
    if sender is not Tenant and _origin_model(origin) is Tenant:
        return
    tracked = TRACKED[sender]
    services.record(f"{tracked.noun}.deleted", target=instance, details=_described(instance, tracked))


for _model in TRACKED:
    _uid = f"audit.{_model._meta.label_lower}"
    pre_save.connect(_before_save, sender=_model, dispatch_uid=f"{_uid}.pre_save")
    post_save.connect(_after_save, sender=_model, dispatch_uid=f"{_uid}.post_save")
    post_delete.connect(_after_delete, sender=_model, dispatch_uid=f"{_uid}.post_delete")


@receiver(post_save, sender=MembershipSite, dispatch_uid="audit.membershipsite.post_save")
def _site_scope_added(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        _record_site_scope("membership.site_added", instance)


@receiver(post_delete, sender=MembershipSite, dispatch_uid="audit.membershipsite.post_delete")
def _site_scope_removed(sender, instance, origin=None, **kwargs):
    # Only a scope removed for itself: deleting the membership, site or tenant is recorded as such.
    if _origin_model(origin) is MembershipSite:
        _record_site_scope("membership.site_removed", instance)


def _record_site_scope(action: str, link: MembershipSite) -> None:
    membership = link.membership
    services.record(action, target=membership, site=link.site_id, details={"user": membership.user.get_username()})
