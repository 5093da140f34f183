"""The Healthchecks-style cast: two tenants, every role, a site-scoped user and a super admin.

Tenant A ("acme") has sites north and south; tenant B ("globex") has site east.
alice=admin A, bob=operator A, carol=viewer A, dave=viewer A scoped to north,
erin=admin B, root=super admin with no membership.
"""

from types import SimpleNamespace

import pytest

from tests.factories import add_member, make_site, make_tenant, make_user


@pytest.fixture
def world(db):
    acme = make_tenant("Acme", slug="acme")
    globex = make_tenant("Globex", slug="globex")
    north, south = make_site(acme, "North"), make_site(acme, "South")
    east = make_site(globex, "East")
    users = SimpleNamespace(
        alice=make_user("alice"),
        bob=make_user("bob"),
        carol=make_user("carol"),
        dave=make_user("dave"),
        erin=make_user("erin"),
        root=make_user("root", super_admin=True),
    )
    add_member(users.alice, acme, "admin")
    add_member(users.bob, acme, "operator")
    add_member(users.carol, acme, "viewer")
    add_member(users.dave, acme, "viewer", sites=[north])
    add_member(users.erin, globex, "admin")
    return SimpleNamespace(acme=acme, globex=globex, north=north, south=south, east=east, users=users)


def pytest_terminal_summary(terminalreporter):
    """The isolation matrix's coverage, for the record: "N routes × M roles"."""
    import sys

    registry = sys.modules.get("tests.isolation_registry")
    if registry is not None and registry.STATS.routes:
        stats = registry.STATS
        terminalreporter.write_line(
            f"isolation matrix: {len(stats.routes)} routes × {len(stats.roles)} roles ({stats.requests} requests)"
        )
