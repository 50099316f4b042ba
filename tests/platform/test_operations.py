"""Operations: probes, request ids, structured logs, production settings."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.observability import ContextFilter, JsonFormatter, log_context

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 64 + "-production-secret-for-the-deploy-check",
    "DATABASE_URL": "postgres://coverage_app@localhost:5432/coverage",
    "REDIS_URL": "redis://localhost:6379/0",
    "ALLOWED_HOSTS": "coverage.example.com",
    "FIELD_ENCRYPTION_KEY": "ZGV2LW9ubHktZmllbGQta2V5LWRvLW5vdC11c2UtMzI=",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "coverage_platform.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    # Catches a liveness probe that fails (or is slow) when the database is the problem.
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_redis(client, settings):
    # Catches a readiness probe that says "ready" while Redis is down.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response["X-Request-ID"] == "abc123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated["X-Request-ID"] != "bad id with spaces"
    assert len(generated["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_context_fields():
    # Catches log lines that lose the request or organisation they belong to.
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "call stored", (), None)
    with log_context(request_id="r1", organization_id=7):
        ContextFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "call stored"
    assert entry["request_id"] == "r1"
    assert entry["organization_id"] == 7


def test_production_refuses_to_start_without_its_settings():
    # Catches a production deploy silently running on development defaults.
    result = _manage("check", env={"DJANGO_ENV": "production"})
    assert result.returncode != 0
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEY",
    ):
        assert name in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    # Catches an insecure production setting (cookies, HSTS, SSL redirect, DEBUG).
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
