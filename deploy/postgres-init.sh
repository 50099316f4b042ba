#!/usr/bin/env bash
# First-start initialisation of the compose PostgreSQL: the same three roles as bin/setup-db,
# with passwords, and the database owned by the migrating role.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE coverage_app LOGIN PASSWORD '${APP_DB_PASSWORD}' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE coverage_definer NOLOGIN NOSUPERUSER BYPASSRLS;
CREATE ROLE coverage_owner LOGIN PASSWORD '${OWNER_DB_PASSWORD}' NOSUPERUSER NOBYPASSRLS;
GRANT coverage_definer TO coverage_owner;
CREATE DATABASE coverage OWNER coverage_owner;
SQL
