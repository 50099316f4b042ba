#!/usr/bin/env bash
# The conflict-check benchmark (bench/intake/README-section.md): recreates the bench_intake
# database, migrates it as the owner role, loads parties with COPY (as the superuser: COPY
# FROM is refused under row-level security) and times the check as the application role.
#   bench/intake/run.sh                 # 1,000,000 parties in one organisation
#   SCALE=large bench/intake/run.sh     # then 10,000,000 across 200 organisations
# PARTIES_LARGE and ORGS_LARGE change the large run; BENCH_DB_KEEP=1 keeps the database.
set -euo pipefail
cd "$(dirname "$0")/../.."

DB=${BENCH_DATABASE:-bench_intake}
DB_HOST=${BENCH_DB_HOST:-localhost}
DB_PORT=${BENCH_DB_PORT:-5432}

bin/services-up >/dev/null
if [ "${BENCH_DB_KEEP:-}" != 1 ]; then
  psql -h "$DB_HOST" -p "$DB_PORT" -U coverage_owner -d postgres \
    -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
fi
export DEBUG=false
export DATABASE_URL=postgres://coverage_app@$DB_HOST:$DB_PORT/$DB
export DATABASE_OWNER_URL=postgres://coverage_owner@$DB_HOST:$DB_PORT/$DB
export BENCH_SUPERUSER_URL=${BENCH_SUPERUSER_URL:-postgres://postgres@$DB_HOST:$DB_PORT/$DB}
DATABASE_URL=$DATABASE_OWNER_URL .venv/bin/python manage.py migrate --noinput >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
.venv/bin/python bench/intake/conflict.py --parties "${PARTIES:-1000000}" --orgs "${ORGS:-1}"
if [ "${SCALE:-}" = large ]; then
  .venv/bin/python bench/intake/conflict.py --parties "${PARTIES_LARGE:-10000000}" \
    --orgs "${ORGS_LARGE:-200}"
fi
