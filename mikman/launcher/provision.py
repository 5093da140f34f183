"""Create the owner and app roles and the database; idempotent.

The app role is LOGIN NOSUPERUSER NOBYPASSRLS and owns nothing; it receives DML through
ALTER DEFAULT PRIVILEGES FOR ROLE mikman_owner, so tables that later migrations create are
covered and tables that revoke rights (the audit log) stay revoked.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from mikman.dbconfig import PgTarget


def _connect(target: PgTarget, dbname: str | None = None) -> psycopg.Connection:
    return psycopg.connect(autocommit=True, connect_timeout=5, **target.connect_kwargs(dbname))


def check_admin(admin: PgTarget) -> None:
    try:
        with _connect(admin, "postgres") as conn:
            row = conn.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone()
    except psycopg.OperationalError as exc:
        raise SystemExit(
            f"PostgreSQL at {admin.host}:{admin.port} is unreachable as {admin.user!r}: {exc}\n"
            "Fix DATABASE_URL, or unset it to use the embedded server."
        ) from None
    if not row or not row[0]:
        raise SystemExit(
            f"The DATABASE_URL user {admin.user!r} may not create roles. Give a superuser URL, or set "
            "DATABASE_APP_URL and DATABASE_OWNER_URL for roles created beforehand (README: Configuration)."
        )


def ensure_role(conn: psycopg.Connection, name: str, password: str, app: bool) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    verb = "ALTER" if exists else "CREATE"
    attrs = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    conn.execute(
        sql.SQL(f"{verb} ROLE {{}} WITH {attrs} PASSWORD {{}}").format(sql.Identifier(name), sql.Literal(password))
    )
    if app:
        conn.execute(sql.SQL("ALTER ROLE {} SET statement_timeout = '60s'").format(sql.Identifier(name)))


def provision(admin: PgTarget, owner: PgTarget, app: PgTarget, fresh: bool = False) -> None:
    """Roles, database, schema grants. `fresh` drops the database first (tests)."""
    check_admin(admin)
    with _connect(admin, "postgres") as conn:
        ensure_role(conn, owner.user, owner.password, app=False)
        ensure_role(conn, app.user, app.password, app=True)
        is_super = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        if not is_super:  # managed services: a CREATEROLE admin must be a member to hand ownership over
            conn.execute(sql.SQL("GRANT {} TO current_user").format(sql.Identifier(owner.user)))
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(owner.name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [owner.name]).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(owner.name), sql.Identifier(owner.user))
            )
    with _connect(admin, owner.name) as conn:
        ident = {"db": sql.Identifier(owner.name), "owner": sql.Identifier(owner.user), "app": sql.Identifier(app.user)}
        for stmt in (
            "REVOKE ALL ON DATABASE {db} FROM PUBLIC",
            "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {app}",
            "ALTER SCHEMA public OWNER TO {owner}",
            "REVOKE ALL ON SCHEMA public FROM PUBLIC",
            "GRANT USAGE ON SCHEMA public TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO {app}",
        ):
            conn.execute(sql.SQL(stmt).format(**ident))
