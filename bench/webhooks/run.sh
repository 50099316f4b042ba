#!/usr/bin/env bash
# The webhook benchmark (bench/README.md, "Webhooks"): gunicorn with production settings and
# 2 sync workers, driven by wrk over 32 connections with signed Twilio requests:
#   (a) /healthz, the framework ceiling; (b) the incoming-call webhook; (c) status callbacks;
# then a burst of 10,000 callbacks with duplicates and reordering, counted afterwards.
# Uses its own database (coverage_bench, recreated) and Redis db 13.
# BENCH_DB_HOST and BENCH_DB_PORT (localhost:5432) point it at another server, such as a
# Citus coordinator; BENCH_DB_KEEP=1 migrates the database as it is instead of recreating
# it (Citus does not propagate CREATE DATABASE: the cluster script creates it on each node).
# BENCH_DATABASE_URL sends the application's connections elsewhere than the database it
# made and migrated, such as a pooler in front of it (with DATABASE_POOLER and
# DATABASE_PREPARED_STATEMENTS from the environment: bench/README.md, "Through PgBouncer").
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-8123}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
CALLS=${CALLS:-60000}
DB=${BENCH_DATABASE:-coverage_bench}
DB_HOST=${BENCH_DB_HOST:-localhost}
DB_PORT=${BENCH_DB_PORT:-5432}
OUT=${OUT:-$(mktemp -d /tmp/bench-webhooks.XXXXXX)}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing: sudo apt-get install -y wrk" >&2
    exit 1
  fi
fi
bin/services-up >/dev/null

if [ "${BENCH_DB_KEEP:-}" != 1 ]; then
  psql -h "$DB_HOST" -p "$DB_PORT" -U coverage_owner -d postgres \
    -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
fi
export DJANGO_ENV=production
export SECRET_KEY=bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://coverage_app@$DB_HOST:$DB_PORT/$DB}
export REDIS_URL=redis://localhost:6379/13
export ALLOWED_HOSTS=127.0.0.1,localhost
export FIELD_ENCRYPTION_KEY=YmVuY2gtb25seS1maWVsZC1rZXktMDEyMzQ1Njc4OTA=
export PUBLIC_BASE_URL=https://bench.coverage.example
DATABASE_URL=postgres://coverage_owner@$DB_HOST:$DB_PORT/$DB .venv/bin/python manage.py migrate --noinput >/dev/null
.venv/bin/python bench/webhooks/prepare.py "$OUT" "$CALLS"
redis-cli -n 13 flushdb >/dev/null

.venv/bin/gunicorn coverage_platform.wsgi --workers 2 --worker-class sync \
  --bind 127.0.0.1:"$PORT" --error-logfile "$OUT/gunicorn.log" 2>>"$OUT/app.log" &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.2
done

PROXY=(-H "X-Forwarded-Proto: https")
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "${PROXY[@]}" "http://127.0.0.1:$PORT/healthz" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${PROXY[@]}" \
  "http://127.0.0.1:$PORT/healthz" >"$OUT/healthz.txt"
for run in incoming status; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/webhooks/signed.lua \
    "http://127.0.0.1:$PORT" -- "$OUT/$run.requests" "$THREADS" >"$OUT/$run.txt"
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
.venv/bin/python bench/webhooks/summarize.py "$OUT"
.venv/bin/python bench/webhooks/burst.py "http://127.0.0.1:$PORT"
echo "raw wrk output, gunicorn's and the application's logs: $OUT"
