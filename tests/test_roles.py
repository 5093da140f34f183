"""The permission matrix, exhaustively: every Role × every Action against a table written out by
hand (not derived from tenants/roles.py, so a change there must be made here on purpose)."""

import pytest

from tenants.roles import PERMISSIONS, TENANT_ROLES, Action, Role, role_allows

Y, N = True, False
# fmt: off
EXPECTED = {
    #                          admin operator viewer platform
    Action.VIEW_STRUCTURE:    (Y,    Y,       Y,     Y),
    Action.MANAGE_STRUCTURE:  (Y,    N,       N,     Y),
    Action.MANAGE_USERS:      (Y,    N,       N,     Y),
    Action.VIEW:              (Y,    Y,       Y,     N),
    Action.OPERATE:           (Y,    Y,       N,     N),
    Action.MANAGE_DEVICES:    (Y,    N,       N,     N),
    Action.PUSH_CONFIG:       (Y,    N,       N,     N),
    Action.MANAGE_ALERTS:     (Y,    N,       N,     N),
    Action.DANGEROUS:         (Y,    N,       N,     N),
}
# fmt: on
ROLE_ORDER = (Role.ADMIN, Role.OPERATOR, Role.VIEWER, Role.PLATFORM)


def test_the_table_covers_every_role_and_action():
    assert set(EXPECTED) == set(Action), "a new Action needs a row here"
    assert set(ROLE_ORDER) == set(Role), "a new Role needs a column here"
    assert set(PERMISSIONS) == set(Role)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_role_allows(role, action):
    expected = EXPECTED[action][ROLE_ORDER.index(role)]
    assert role_allows(role, action) is expected
    assert role_allows(role.value, action.value) is expected, "string forms behave the same"


def test_roles_are_strictly_nested():
    viewer, operator, admin = (PERMISSIONS[r] for r in (Role.VIEWER, Role.OPERATOR, Role.ADMIN))
    assert viewer < operator < admin


def test_platform_role_reads_no_tenant_data_and_is_not_assignable():
    assert not role_allows(Role.PLATFORM, Action.VIEW)
    assert Role.PLATFORM not in TENANT_ROLES


@pytest.mark.parametrize("bad", ["root", "", "ADMIN"])
def test_unknown_roles_and_actions_are_errors_not_silent_grants(bad):
    with pytest.raises(ValueError):
        role_allows(bad, Action.VIEW)
    with pytest.raises(ValueError):
        role_allows(Role.ADMIN, bad)
