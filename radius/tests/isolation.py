"""Isolation-matrix factories for the User Manager's API models (loaded by
tests.isolation_registry.load_app_registrations). Every object carries a canary secret, so the
matrix also proves secrets never leak into a foreign response."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from radius import services
from radius.models import (
    AuthLog,
    CustomAttribute,
    Customer,
    Group,
    History,
    Limitation,
    Profile,
    ProfileLimitation,
    RadiusUser,
    Router,
    Session,
    UserProfile,
    VoucherBatch,
)
from tests.isolation_registry import register

_addresses = itertools.count(1)


def _suffix(site) -> str:
    return f"{site.slug}-{next(_addresses)}"


def canary_user(tenant, site) -> RadiusUser:
    user = RadiusUser(tenant=tenant, name=f"canary-user-{_suffix(site)}")
    services.seal(user, "password", "canary-user-password")
    user.save()
    return user


def canary_profile(tenant, site) -> Profile:
    return Profile.objects.create(tenant=tenant, name=f"Canary profile {_suffix(site)}")


def canary_limitation(tenant, site) -> Limitation:
    return Limitation.objects.create(tenant=tenant, name=f"Canary limitation {_suffix(site)}")


def canary_router(tenant, site) -> Router:
    n = next(_addresses)
    router = Router(tenant=tenant, name=f"Canary router {site.slug}-{n}", address=f"198.51.{n // 250}.{n % 250 + 1}")
    services.seal(router, "shared_secret", "canary-shared-secret-0123")
    router.save()
    return router


@register(Customer)
def customer_factory(tenant, site):
    return Customer.objects.create(tenant=tenant, login=f"canary-customer-{_suffix(site)}")


@register(Group)
def group_factory(tenant, site):
    return Group.objects.create(tenant=tenant, name=f"Canary group {_suffix(site)}")


@register(CustomAttribute)
def attribute_factory(tenant, site):
    return CustomAttribute.objects.create(tenant=tenant, name=f"Canary-Attr-{_suffix(site)}", type_id=200)


@register(RadiusUser)
def user_factory(tenant, site):
    return canary_user(tenant, site)


@register(Profile)
def profile_factory(tenant, site):
    return canary_profile(tenant, site)


@register(Limitation)
def limitation_factory(tenant, site):
    return canary_limitation(tenant, site)


@register(ProfileLimitation)
def profile_limitation_factory(tenant, site):
    return ProfileLimitation.objects.create(
        tenant=tenant, profile=canary_profile(tenant, site), limitation=canary_limitation(tenant, site)
    )


@register(UserProfile)
def user_profile_factory(tenant, site):
    return UserProfile.objects.create(
        tenant=tenant, user=canary_user(tenant, site), profile=canary_profile(tenant, site), assigned_at=timezone.now()
    )


@register(Router)
def router_factory(tenant, site):
    return canary_router(tenant, site)


@register(Session)
def session_factory(tenant, site):
    now = timezone.now()
    user = canary_user(tenant, site)
    return Session.objects.create(
        tenant=tenant,
        user=user,
        username=user.name,
        nas=canary_router(tenant, site),
        acct_session_id=f"canary-{_suffix(site)}",
        started_at=now - dt.timedelta(minutes=5),
        updated_at=now,
    )


@register(AuthLog)
def auth_log_factory(tenant, site):
    return AuthLog.objects.create(
        tenant=tenant, at=timezone.now(), username=f"canary-log-{_suffix(site)}", result="reject", reason="canary"
    )


@register(History)
def history_factory(tenant, site):
    user = canary_user(tenant, site)
    return History.objects.create(
        tenant=tenant, action="add", model="user", object_id=user.pk, object_name=user.name, after={"name": user.name}
    )


@register(VoucherBatch)
def voucher_batch_factory(tenant, site):
    return VoucherBatch.objects.create(
        tenant=tenant, name=f"Canary batch {_suffix(site)}", profile=canary_profile(tenant, site), count=1
    )
