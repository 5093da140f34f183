"""Tell the RADIUS server about every committed User Manager change (cache invalidation).

A row trigger NOTIFYs `radius_directory` with "<tenant> <table> <id> <user>" on insert, update
and delete of what the server caches. NOTIFY is delivered at commit and only then, so the server
never reloads uncommitted data, and any writer — API, UI, undo, a bulk script, raw SQL — is
covered. Sessions and the auth log are the server's own writes and carry no trigger.
"""

from django.db import migrations

# Frozen here (radius.server.invalidation names the same channel and tables).
CHANNEL = "radius_directory"
WATCHED_TABLES = (
    "radius_radiususer",
    "radius_userprofile",
    "radius_group",
    "radius_profile",
    "radius_limitation",
    "radius_profilelimitation",
    "radius_router",
    "radius_customattribute",
)

FUNCTION = f"""
CREATE OR REPLACE FUNCTION radius_server_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rec record;
    owner text := '';
BEGIN
    IF TG_OP = 'DELETE' THEN rec := OLD; ELSE rec := NEW; END IF;
    IF TG_TABLE_NAME = 'radius_userprofile' THEN owner := rec.user_id::text; END IF;
    PERFORM pg_notify('{CHANNEL}', rec.tenant_id::text || ' ' || TG_TABLE_NAME || ' ' || rec.id::text || ' ' || owner);
    -- nested: PL/pgSQL does not short-circuit AND, and only user profiles have user_id
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'radius_userprofile' THEN
        IF OLD.user_id <> NEW.user_id THEN
            PERFORM pg_notify('{CHANNEL}', OLD.tenant_id::text || ' ' || TG_TABLE_NAME || ' ' || OLD.id::text
                              || ' ' || OLD.user_id::text);
        END IF;
    END IF;
    RETURN NULL;
END $$;
"""


def _triggers(create: bool) -> list[str]:
    out = []
    for table in WATCHED_TABLES:
        out.append(f'DROP TRIGGER IF EXISTS radius_server_notify ON "{table}"')
        if create:
            out.append(
                f'CREATE TRIGGER radius_server_notify AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION radius_server_notify()"
            )
    return out


class Migration(migrations.Migration):
    dependencies = [("radius", "0001_user_manager")]

    operations = [
        migrations.RunSQL(
            [FUNCTION, *_triggers(True)],
            [*_triggers(False), "DROP FUNCTION IF EXISTS radius_server_notify()"],
        ),
    ]
