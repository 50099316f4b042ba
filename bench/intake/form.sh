#!/usr/bin/env bash
# The agent form's benchmark (bench/intake/FORM-README-section.md): recreates the
# bench_intake_form database, migrates it as the owner role, then times the intake form page
# and its autosave through Django's test client as the application role, with DEBUG off.
#   bench/intake/form.sh                # 200 of each after 20 warm-up requests
# REQUESTS and WARMUP change the counts; BENCH_DB_KEEP=1 keeps the database (it then fails
# on the existing organisation: keep it only to look at it afterwards).
set -euo pipefail
cd "$(dirname "$0")/../.."

DB=${BENCH_DATABASE:-bench_intake_form}
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
# Its own Redis database (the cache; sessions are in PostgreSQL), away from the tests' and
# the other benches'.
export REDIS_URL=${BENCH_REDIS_URL:-redis://localhost:6379/8}
export CELERY_BROKER_URL=$REDIS_URL
DATABASE_URL=$DATABASE_OWNER_URL .venv/bin/python manage.py migrate --noinput >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
.venv/bin/python bench/intake/form.py --requests "${REQUESTS:-200}" --warmup "${WARMUP:-20}"
