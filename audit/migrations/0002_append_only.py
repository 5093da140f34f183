"""The audit log's database guarantees: row-level security, immutability, INSERT/SELECT-only grants.

Visibility (one policy for every command):
- a tenant's rows in that tenant's context: the same expression as tenants.rls.TENANT_EXPR;
- platform rows (tenant NULL) only while `app.platform_audit` = 'on' (see audit/context.py).

Immutability: BEFORE UPDATE/DELETE (row) and BEFORE TRUNCATE (statement) triggers refuse the change
for every role, the owner included. The only way past them is the maintenance switch
`SELECT set_config('mikman.audit_maintenance', 'on', true)`, which exists for the test suite's
`flush` (tests/support) and is set by nothing in the running platform. It does not help the app
role: that role holds INSERT and SELECT only (revoked below), the trigger is the second wall.
The owner can still drop the triggers (it owns the table); the hash chain is what makes such
an edit visible (`manage.py audit_verify`).
"""

from django.conf import settings
from django.db import migrations

TABLE = "audit_auditentry"
VISIBLE = (
    "tenant_id = nullif((select current_setting('app.tenant_id', true)), '')::uuid "
    "OR (tenant_id IS NULL AND (select current_setting('app.platform_audit', true)) = 'on')"
)

FORWARD = [
    f'ALTER TABLE "{TABLE}" ENABLE ROW LEVEL SECURITY',
    f'ALTER TABLE "{TABLE}" FORCE ROW LEVEL SECURITY',
    f'CREATE POLICY audit_visibility ON "{TABLE}" FOR ALL USING ({VISIBLE}) WITH CHECK ({VISIBLE})',
    """
    CREATE FUNCTION audit_entry_reject_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
        IF current_setting('mikman.audit_maintenance', true) = 'on' THEN
            IF TG_LEVEL = 'STATEMENT' THEN
                RETURN NULL;
            ELSIF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the audit log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Audit entries are never changed or removed (audit/migrations/0002_append_only.py).';
    END
    $$
    """,
    f'CREATE TRIGGER audit_entry_no_update_delete BEFORE UPDATE OR DELETE ON "{TABLE}" '
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_reject_change()",
    f'CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON "{TABLE}" '
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_reject_change()",
]

BACKWARD = [
    f'DROP TRIGGER IF EXISTS audit_entry_no_truncate ON "{TABLE}"',
    f'DROP TRIGGER IF EXISTS audit_entry_no_update_delete ON "{TABLE}"',
    "DROP FUNCTION IF EXISTS audit_entry_reject_change()",
    f'DROP POLICY IF EXISTS audit_visibility ON "{TABLE}"',
    f'ALTER TABLE "{TABLE}" NO FORCE ROW LEVEL SECURITY',
    f'ALTER TABLE "{TABLE}" DISABLE ROW LEVEL SECURITY',
]


def _app_role(schema_editor) -> str | None:
    """The role the platform runs as (settings.DB_APP), quoted; None when it is the migrating role."""
    role = settings.DB_APP.user
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_user, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", [role])
        current, exists = cursor.fetchone()
    if role == current:
        return None  # a single-role setup: nothing to take away from ourselves, the triggers still hold
    if not exists:
        raise RuntimeError(f"The app role {role!r} (settings.DB_APP) does not exist; provision it first.")
    return schema_editor.quote_name(role)


def revoke_changes(apps, schema_editor):
    role = _app_role(schema_editor)
    if role:
        schema_editor.execute(f'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "{TABLE}" FROM {role}')
        schema_editor.execute(f'GRANT SELECT, INSERT ON "{TABLE}" TO {role}')


def restore_default_grants(apps, schema_editor):
    role = _app_role(schema_editor)
    if role:
        schema_editor.execute(f'GRANT UPDATE, DELETE ON "{TABLE}" TO {role}')


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(revoke_changes, restore_default_grants),
    ]
