"""deploy/postgres/10-mikman-roles.sh grants exactly what mikman/launcher/provision.py grants.

Both run against a private, throw-away PostgreSQL (PyPI pgserver, as the launcher's embedded
server) under different role names; the catalogs must then match name for name.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from mikman.dbconfig import PgTarget
from mikman.launcher.provision import provision

pgserver = pytest.importorskip("pgserver")

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "10-mikman-roles.sh"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("pg")
    os.environ.setdefault("XDG_RUNTIME_DIR", str(root))
    handle = pgserver.get_server(root / "data", cleanup_mode="delete")
    yield root / "data"
    handle.cleanup()


@pytest.fixture(scope="module")
def reference(server):
    """Roles and database as mikman/launcher/provision.py makes them: the model to match."""
    admin = PgTarget(str(server), 5432, "postgres", "postgres", "")
    provision(
        admin,
        PgTarget(str(server), 5432, "via_launcher", "l_owner", "owner-pw"),
        PgTarget(str(server), 5432, "via_launcher", "l_app", "app-pw"),
    )
    with psycopg.connect(host=str(server), user="postgres", dbname="postgres", autocommit=True) as conn:
        roles = catalog(conn, "via_launcher", "l_owner", "l_app")
    return roles, schema_catalog(server, "via_launcher", "l_owner", "l_app")


def run_script(socket_dir: Path, **names: str) -> subprocess.CompletedProcess:
    bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    env = {
        "PATH": f"{bindir}:/usr/bin:/bin",
        "PGHOST": str(socket_dir),
        "POSTGRES_USER": "postgres",
        "DB_OWNER_PASSWORD": "owner-pw-'quoted\"",
        "DB_APP_PASSWORD": "app-pw",
        **names,
    }
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def catalog(conn: psycopg.Connection, db: str, owner: str, app: str) -> dict:
    """What the roles may do, with the role names replaced by OWNER/APP."""

    def norm(value) -> str:
        return str(value).replace(owner, "OWNER").replace(app, "APP")

    roles = conn.execute(
        "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,"
        " rolbypassrls, rolconfig FROM pg_roles WHERE rolname IN (%s, %s) ORDER BY rolname = %s",
        [owner, app, app],
    ).fetchall()
    database = conn.execute(
        "SELECT pg_get_userbyid(datdba), datacl FROM pg_database WHERE datname = %s", [db]
    ).fetchone()
    return {"roles": norm(roles), "database": norm(database)}


def schema_catalog(socket_dir: Path, db: str, owner: str, app: str) -> dict:
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname=db, autocommit=True) as conn:

        def norm(value) -> str:
            return str(value).replace(owner, "OWNER").replace(app, "APP")

        schema = conn.execute(
            "SELECT pg_get_userbyid(nspowner), nspacl FROM pg_namespace WHERE nspname = 'public'"
        ).fetchone()
        defaults = conn.execute(
            "SELECT pg_get_userbyid(defaclrole), defaclnamespace::regnamespace::text, defaclobjtype, defaclacl"
            " FROM pg_default_acl ORDER BY defaclobjtype"
        ).fetchall()
        # A table the owner creates later is open to the app for DML, and nothing more.
        conn.execute(f'SET ROLE "{owner}"')
        conn.execute("CREATE TABLE IF NOT EXISTS probe (id serial PRIMARY KEY)")
        privileges = conn.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants"
            " WHERE table_name = 'probe' AND grantee = %s ORDER BY 1",
            [app],
        ).fetchall()
        conn.execute("RESET ROLE")
        return {"schema": norm(schema), "defaults": norm(defaults), "table": privileges}


def test_init_script_mirrors_provision(server, reference):
    result = run_script(server, MIKMAN_DB_NAME="via_script", MIKMAN_OWNER_ROLE="s_owner", MIKMAN_APP_ROLE="s_app")
    assert result.returncode == 0, result.stderr
    # Idempotent: the same run again changes nothing and fails on nothing.
    again = run_script(server, MIKMAN_DB_NAME="via_script", MIKMAN_OWNER_ROLE="s_owner", MIKMAN_APP_ROLE="s_app")
    assert again.returncode == 0, again.stderr

    with psycopg.connect(host=str(server), user="postgres", dbname="postgres", autocommit=True) as conn:
        assert catalog(conn, "via_script", "s_owner", "s_app") == reference[0]
    scripted = schema_catalog(server, "via_script", "s_owner", "s_app")
    assert scripted == reference[1]
    assert scripted["table"] == [("DELETE",), ("INSERT",), ("SELECT",), ("UPDATE",)]


def test_a_non_superuser_admin_of_a_managed_service_can_run_it(server, reference):
    with psycopg.connect(host=str(server), user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute("CREATE ROLE cloud_admin LOGIN CREATEROLE CREATEDB NOSUPERUSER")
    result = run_script(
        server,
        POSTGRES_USER="cloud_admin",
        MIKMAN_DB_NAME="via_cloud",
        MIKMAN_OWNER_ROLE="c_owner",
        MIKMAN_APP_ROLE="c_app",
    )
    assert result.returncode == 0, result.stderr
    with psycopg.connect(host=str(server), user="postgres", dbname="postgres", autocommit=True) as conn:
        assert catalog(conn, "via_cloud", "c_owner", "c_app") == reference[0]
    assert schema_catalog(server, "via_cloud", "c_owner", "c_app") == reference[1]


def test_the_app_role_is_neither_superuser_nor_bypassing_rls_and_logs_in(server):
    run_script(server, MIKMAN_DB_NAME="via_script2", MIKMAN_OWNER_ROLE="s2_owner", MIKMAN_APP_ROLE="s2_app")
    with psycopg.connect(host=str(server), user="postgres", dbname="postgres") as conn:
        row = conn.execute(
            "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 's2_app'"
        ).fetchone()
    assert row == (False, False, True)
    # The password with quotes arrived intact (psql variables, not string splicing): its SCRAM
    # verifier is the one computed from the exact string.
    with psycopg.connect(host=str(server), user="postgres", dbname="postgres") as conn:
        (stored,) = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 's2_owner'").fetchone()
    assert scram_matches(stored, "owner-pw-'quoted\"")
    assert not scram_matches(stored, "owner-pw-quoted")


def scram_matches(verifier: str, password: str) -> bool:
    """SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (RFC 5802/7677)."""
    import base64
    import hashlib
    import hmac

    method, params, keys = verifier.split("$")
    assert method == "SCRAM-SHA-256"
    iterations, salt = params.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def test_missing_passwords_are_refused(server):
    env = {"PATH": "/usr/bin:/bin", "PGHOST": str(server)}
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DB_OWNER_PASSWORD is required" in result.stderr
