"""The permission matrix: role × action, in one place (tested exhaustively in tests/test_roles.py).

Tenant roles come from a Membership; `platform` is what a super admin without a membership holds
inside a tenant: it may shape the tenant (sites, memberships) but reads none of its data.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"
    PLATFORM = "platform"  # super admin without a membership; not assignable


TENANT_ROLES = (Role.ADMIN, Role.OPERATOR, Role.VIEWER)


class Action(StrEnum):
    VIEW_STRUCTURE = "view_structure"  # the tenant's sites and members
    MANAGE_STRUCTURE = "manage_structure"  # sites
    MANAGE_USERS = "manage_users"  # the tenant's users and memberships (never super admins)
    VIEW = "view"  # devices, configs, metrics, tenant audit: tenant data
    OPERATE = "operate"  # commands, bulk operations, upgrades, backups, config edit, acknowledge
    MANAGE_DEVICES = "manage_devices"  # add/remove devices, credentials
    PUSH_CONFIG = "push_config"
    MANAGE_ALERTS = "manage_alerts"  # alert rules and channels
    DANGEROUS = "dangerous"  # reboot, reset-configuration, user changes on routers


_VIEWER = {Action.VIEW_STRUCTURE, Action.VIEW}
_OPERATOR = _VIEWER | {Action.OPERATE}
_ADMIN = _OPERATOR | {
    Action.MANAGE_STRUCTURE,
    Action.MANAGE_USERS,
    Action.MANAGE_DEVICES,
    Action.PUSH_CONFIG,
    Action.MANAGE_ALERTS,
    Action.DANGEROUS,
}
_PLATFORM = {Action.VIEW_STRUCTURE, Action.MANAGE_STRUCTURE, Action.MANAGE_USERS}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(_ADMIN),
    Role.OPERATOR: frozenset(_OPERATOR),
    Role.VIEWER: frozenset(_VIEWER),
    Role.PLATFORM: frozenset(_PLATFORM),
}


def role_allows(role: Role | str, action: Action | str) -> bool:
    return Action(action) in PERMISSIONS[Role(role)]
