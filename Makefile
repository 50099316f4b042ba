# The README's commands. `make run` sets everything up and runs the product; `make test`
# runs the whole suite against the real PostgreSQL and Redis.
VENV := .venv
PY := $(VENV)/bin/python
OWNER_URL ?= postgres://coverage_owner@localhost:5432/coverage
export DATABASE_OWNER_URL := $(OWNER_URL)

.PHONY: run test test-citus test-pooled pgbouncer setup services db migrate seed assets browser lint bench mutate

run: setup migrate seed
	@echo "Open http://127.0.0.1:8000/ — demo sign-ins are listed above."
	$(VENV)/bin/honcho start -f Procfile.dev

test: setup browser
	bin/test-all

# What must also hold past one database server, on a fresh three-node Citus cluster
# (docs/scaling.md): isolation, the schema's distribution rules, the audit trail, the
# webhooks, routing pages and API (single-shard hot paths included), the cross-tenant
# directories, scheduled work and a Celery worker. Empty means bin/test-citus's own default
# list, which names them all; set it to run a subset.
CITUS_TESTS :=

test-citus: setup
	bin/test-citus -q $(CITUS_TESTS)

# Signed webhooks, a signed-in page and real Celery workers through Debian's PgBouncer 1.18
# in transaction mode with DATABASE_POOLER=transaction, and the proof that without it the
# webhooks fail there (README "Production and scaling"). A fresh test database, like `test`.
test-pooled: setup pgbouncer
	bin/test-pooled --create-db -q

pgbouncer:
	@bin/ensure-pgbouncer

setup: services $(VENV)/.installed assets db

services:
	@bin/services-up

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || "$$(bin/find-python)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chart.umd.min.js

browser:
	@bin/ensure-chromium

db:
	@bin/setup-db

migrate:
	DATABASE_URL=$(OWNER_URL) $(PY) manage.py migrate --noinput

seed:
	$(PY) manage.py seed_demo

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

bench:
	@echo "See bench/README.md for each benchmark's command."

# Mutation testing of the rules that carry money and law ([tool.mutmut] in pyproject.toml,
# scores in tests/MUTATION.md). Outside CI: minutes, not seconds. A fresh copy each run, so
# no mutant is judged against stale code.
mutate: setup
	rm -rf mutants
	TEST_DATABASE_NAME=test_coverage_mutate $(VENV)/bin/mutmut run --max-children 2
	$(PY) bin/mutation-report
