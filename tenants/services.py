"""The verbs of tenancy: tenants, users, memberships, API tokens. The UI and the API both call these.

Each function checks that `by` (the acting user) may do it — the callers' own checks are for
friendly 404s and hidden buttons; this is the rule. Audit: saves of tenants, users, memberships
and site scopes are recorded by audit.signals (one entry per change, actor from the request);
what no model save shows — tokens, the platform 2FA switch, 2FA resets — is recorded here. Refusals are
Django's PermissionDenied (→ 403) and ValidationError with a field dict (→ 400), which the API's
exception handler and Django forms both understand. Generated passwords and raw token keys are
returned to the caller once and never stored, logged or audited.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import services as audit
from tenants.access import resolve_access
from tenants.context import current_tenant_id, tenant_context
from tenants.models import APIToken, Membership, MembershipSite, PlatformSetting, Site, Tenant, User
from tenants.roles import TENANT_ROLES, Action
from tenants.twofactor import PLATFORM_REQUIRE_2FA

MAX_TOKEN_DAYS = 366
USER_FIELDS = ("email", "first_name", "last_name", "require_2fa")
TENANT_FIELDS = ("name", "slug", "active", "require_2fa")


def _audit(action: str, *, by: User | None, tenant=None, target=None, details=None, request=None) -> None:
    audit.record(action, user=by, tenant=tenant, target=target, details=details or {}, request=request)


def generate_password() -> str:
    """A 120-bit random password for a new account, shown once to whoever created it."""
    return secrets.token_urlsafe(15)


@contextlib.contextmanager
def _in_tenant(tenant: Tenant):
    """The tenant's RLS context for the block, reusing the caller's when it is already this one."""
    if current_tenant_id() == tenant.id:
        with transaction.atomic():
            yield
    else:
        with tenant_context(tenant.id):
            yield


def _require_super_admin(by: User) -> None:
    if not (by and by.is_authenticated and by.is_active and by.is_super_admin):
        raise PermissionDenied("Only super admins may do this.")


def _require_user_manager(by: User, tenant: Tenant) -> None:
    access = resolve_access(by, tenant) if by and by.is_authenticated else None
    if access is None or not access.allows(Action.MANAGE_USERS):
        raise PermissionDenied("You may not manage this tenant's members.")


def _guard_target(by: User, target: User) -> None:
    if target.is_super_admin and not by.is_super_admin:
        raise PermissionDenied("Only super admins may change a super admin's access.")


# --- Tenants -----------------------------------------------------------------------------------


@transaction.atomic
def create_tenant(name: str, slug: str, *, by: User, require_2fa: bool = False, active: bool = True) -> Tenant:
    _require_super_admin(by)
    tenant = Tenant(name=name, slug=slug, require_2fa=require_2fa, active=active)
    tenant.full_clean()
    tenant.save()
    return tenant


@transaction.atomic
def update_tenant(tenant: Tenant, *, by: User, **changes) -> Tenant:
    """Change name, slug, active or require_2fa (others are refused)."""
    _require_super_admin(by)
    unknown = set(changes) - set(TENANT_FIELDS)
    if unknown:
        raise ValidationError({field: "This field cannot be changed." for field in sorted(unknown)})
    for field, value in changes.items():
        setattr(tenant, field, value)
    tenant.full_clean()
    tenant.save()
    return tenant


@transaction.atomic
def set_platform_require_2fa(required: bool, *, by: User) -> None:
    _require_super_admin(by)
    PlatformSetting.put(PLATFORM_REQUIRE_2FA, bool(required))
    _audit("platform.require_2fa_changed", by=by, details={"require_2fa": bool(required)})


# --- Users -------------------------------------------------------------------------------------


def _new_user(username: str, *, email: str = "", first_name: str = "", last_name: str = "", **flags) -> tuple:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "A user with that username already exists."})
    password = generate_password()
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, **flags)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user, password


@transaction.atomic
def create_user(
    username: str,
    *,
    by: User,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_super_admin: bool = False,
    require_2fa: bool = False,
) -> tuple[User, str]:
    """A platform-level account (super admins only): (user, generated password shown once)."""
    _require_super_admin(by)
    user, password = _new_user(
        username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_super_admin=is_super_admin,
        require_2fa=require_2fa,
    )
    return user, password


@transaction.atomic
def update_user(user: User, *, by: User, **changes) -> User:
    """Profile fields and require_2fa (super admins only); active/super admin have their own verbs."""
    _require_super_admin(by)
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise ValidationError({field: "This field cannot be changed here." for field in sorted(unknown)})
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def set_user_active(user: User, active: bool, *, by: User) -> User:
    """Deactivate (sign-in and every API token stop working at once) or reactivate an account."""
    _require_super_admin(by)
    if user.pk == by.pk and not active:
        raise ValidationError({"is_active": "You cannot deactivate your own account."})
    if user.is_active != bool(active):
        user.is_active = bool(active)
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def set_super_admin(user: User, value: bool, *, by: User) -> User:
    _require_super_admin(by)
    if user.pk == by.pk and not value:
        raise ValidationError({"is_super_admin": "You cannot remove your own super admin role."})
    if user.is_super_admin != bool(value):
        user.is_super_admin = bool(value)
        user.save(update_fields=["is_super_admin"])
    return user


@transaction.atomic
def reset_two_factor(user: User, *, by: User) -> None:
    """Remove a user's authenticator and backup codes (lost phone); they enrol again."""
    from tenants.models import BackupCode, EncryptedTOTPDevice

    _require_super_admin(by)
    EncryptedTOTPDevice.objects.filter(user=user).delete()
    BackupCode.objects.filter(user=user).delete()
    audit.two_factor_disabled(user, by=by)


# --- Memberships -------------------------------------------------------------------------------


def _validate_role(role: str) -> str:
    if role not in {r.value for r in TENANT_ROLES}:
        raise ValidationError({"role": f"Choose one of: {', '.join(r.value for r in TENANT_ROLES)}."})
    return role


def _tenant_sites(tenant: Tenant, sites: Iterable) -> list[Site]:
    """The given sites (objects or ids) as this tenant's Site rows; any other id is a 400."""
    ids = []
    for site in sites or ():
        raw = getattr(site, "pk", site)
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            raise ValidationError({"sites": f"{raw!r} is not a site id."}) from None
    if not ids:
        return []
    found = list(Site.objects.filter(tenant=tenant, id__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationError({"sites": "Every site must be one of this tenant's sites."})
    return found


def _apply_sites(membership: Membership, sites: list[Site]) -> None:
    """Make the membership's site links exactly `sites`, one row at a time so that the audit
    signals record each scope added or removed (bulk operations would be silent)."""
    wanted = {site.pk: site for site in sites}
    current = set(MembershipSite.objects.filter(membership=membership).values_list("site_id", flat=True))
    MembershipSite.objects.filter(membership=membership).exclude(site_id__in=wanted).delete()
    for site_id in wanted.keys() - current:
        MembershipSite.objects.create(tenant=membership.tenant, membership=membership, site=wanted[site_id])


def site_ids_of(membership: Membership) -> list[uuid.UUID]:
    """The membership's site scope (empty: the whole tenant). Reads RLS rows: tenant context."""
    with _in_tenant(membership.tenant):
        return sorted(MembershipSite.objects.filter(membership=membership).values_list("site_id", flat=True), key=str)


@transaction.atomic
def set_membership(tenant: Tenant, user: User, role: str, sites: Iterable = (), *, by: User) -> Membership:
    """Give `user` `role` in `tenant`, limited to `sites` (empty: the whole tenant). Creates or
    updates. Tenant admins may not touch super admins, nor their own membership."""
    _require_user_manager(by, tenant)
    _guard_target(by, user)
    if user.pk == by.pk and not by.is_super_admin:
        raise PermissionDenied("You cannot change your own membership.")
    _validate_role(role)
    with _in_tenant(tenant):
        site_rows = _tenant_sites(tenant, sites)
        membership = Membership.objects.filter(tenant=tenant, user=user).first()
        if membership is None:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
            except IntegrityError:
                raise ValidationError({"username": "This user is already a member."}) from None
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        _apply_sites(membership, site_rows)
    return membership


@transaction.atomic
def invite_or_create_user(
    tenant: Tenant,
    username: str,
    role: str,
    sites: Iterable = (),
    *,
    by: User,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> tuple[Membership, str | None]:
    """Add an existing user to the tenant, or create the account first.

    Returns (membership, password): the generated password only when the account was created
    (show it once), else None. Adding someone who is already a member is a 400."""
    _require_user_manager(by, tenant)
    _validate_role(role)
    existing = User.objects.filter(username__iexact=username).first()
    if existing is not None and Membership.objects.filter(tenant=tenant, user=existing).exists():
        raise ValidationError({"username": "This user is already a member."})
    password = None
    if existing is None:
        existing, password = _new_user(username, email=email, first_name=first_name, last_name=last_name)
    membership = set_membership(tenant, existing, role, sites, by=by)
    return membership, password


@transaction.atomic
def remove_membership(tenant: Tenant, user: User, *, by: User) -> None:
    _require_user_manager(by, tenant)
    _guard_target(by, user)
    if user.pk == by.pk and not by.is_super_admin:
        raise PermissionDenied("You cannot remove your own membership.")
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    if membership is None:
        return
    with _in_tenant(tenant):
        MembershipSite.objects.filter(membership=membership).delete()
    membership.delete()


# --- API tokens --------------------------------------------------------------------------------


def token_expiry(expires: datetime | None = None) -> datetime:
    """Validated expiry: default API_TOKEN_DEFAULT_DAYS, never in the past nor beyond a year."""
    now = timezone.now()
    if expires is None:
        return now + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    if expires <= now:
        raise ValidationError({"expires": "The expiry must be in the future."})
    if expires > now + timedelta(days=MAX_TOKEN_DAYS):
        raise ValidationError({"expires": f"Tokens live at most {MAX_TOKEN_DAYS} days."})
    # In UTC: Python accepts offsets up to ±24 h, PostgreSQL only up to ±15:59 (a 500 otherwise).
    return expires.astimezone(UTC)


@transaction.atomic
def issue_token(user: User, name: str, *, expires: datetime | None = None, request=None) -> tuple[APIToken, str]:
    """A new token of `user` (the caller): (token, raw key shown once)."""
    token, raw = APIToken.issue(user, name, token_expiry(expires))
    _audit("token.created", by=user, target=token, request=request, details={"name": name, "prefix": token.key_prefix})
    return token, raw


@transaction.atomic
def revoke_token(token: APIToken, *, by: User, request=None) -> APIToken:
    if token.user_id != by.pk and not by.is_super_admin:
        raise PermissionDenied("You may only revoke your own tokens.")
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        _audit("token.revoked", by=by, target=token, request=request, details={"name": token.name})
    return token
