"""(a) Every table with a tenant_id column has RLS enabled AND forced, with a policy."""

import pytest
from django.db import connection

# Platform tables read before a tenant is known; they carry tenant_id as a plain reference.
PLATFORM_TABLES = {"tenants_membership"}


@pytest.mark.django_db
def test_every_tenant_table_has_forced_rls_and_a_policy():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p')
            """
        )
        rows = cursor.fetchall()
    tenant_tables = [r for r in rows if r[0] not in PLATFORM_TABLES]
    assert len(tenant_tables) >= 2, "expected tenant-scoped tables to exist"
    missing = [name for name, enabled, forced, policies in tenant_tables if not (enabled and forced and policies)]
    assert missing == [], f"tables with tenant_id but without enabled+forced RLS policy: {missing}"


@pytest.mark.django_db
def test_app_role_cannot_bypass_rls_or_own_tables():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user"
        )
        assert cursor.fetchone()[0] == 0
