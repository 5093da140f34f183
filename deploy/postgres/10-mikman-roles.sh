#!/usr/bin/env bash
# Creates mikman's two roles and its database with the grants of mikman/launcher/provision.py
# (see ../../README.md "Configuration" and the design notes on row-level security):
#   mikman_owner  owns the database and the public schema; runs `migrate`, nothing else.
#   mikman_app    LOGIN NOSUPERUSER NOBYPASSRLS, owns nothing; DML on every table that the owner
#                 creates later, through ALTER DEFAULT PRIVILEGES FOR ROLE mikman_owner.
#
# The postgres image runs it once, on an empty data directory (/docker-entrypoint-initdb.d).
# It is idempotent, so it can also be run by hand against an existing server:
#   PGHOST=db.example.com POSTGRES_USER=postgres DB_OWNER_PASSWORD=... DB_APP_PASSWORD=... \
#     deploy/postgres/10-mikman-roles.sh
set -euo pipefail

: "${DB_OWNER_PASSWORD:?DB_OWNER_PASSWORD is required}"
: "${DB_APP_PASSWORD:?DB_APP_PASSWORD is required}"

psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 \
    --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v db="${MIKMAN_DB_NAME:-mikman}" \
    -v owner="${MIKMAN_OWNER_ROLE:-mikman_owner}" \
    -v app="${MIKMAN_APP_ROLE:-mikman_app}" \
    -v owner_password="$DB_OWNER_PASSWORD" \
    -v app_password="$DB_APP_PASSWORD" <<'SQL'
-- Values travel as psql variables (:'x' literal, :"x" identifier), never spliced into SQL text.
SELECT CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') THEN 'ALTER' ELSE 'CREATE' END AS verb \gset owner_
:owner_verb ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
SELECT CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') THEN 'ALTER' ELSE 'CREATE' END AS verb \gset app_
:app_verb ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
ALTER ROLE :"app" SET statement_timeout = '60s';

-- A managed service's admin is CREATEROLE CREATEDB but no superuser: to create the database
-- for the owner and set default privileges on its behalf it must be a member of that role.
SELECT NOT rolsuper AS need_membership FROM pg_roles WHERE rolname = current_user \gset
\if :need_membership
GRANT :"owner" TO CURRENT_USER;
\endif

SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec

REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";

\connect :"db"
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT EXECUTE ON FUNCTIONS TO :"app";
SQL

echo "mikman: roles ${MIKMAN_OWNER_ROLE:-mikman_owner}, ${MIKMAN_APP_ROLE:-mikman_app} and database ${MIKMAN_DB_NAME:-mikman} ready."
