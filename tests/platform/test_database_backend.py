"""The database backend's health check: no round trip, yet a connection the server has
closed is never reused."""

from __future__ import annotations

import select
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connections

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate(backend_pid: int) -> None:
    with psycopg.connect(settings.DATABASE_OWNER_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend_pid])


def test_a_connection_the_server_closed_is_unusable_and_an_idle_one_is_usable():
    # Catches a health check that trusts every kept connection (a restart of PostgreSQL
    # would fail the first request on each) or that distrusts idle ones (a reconnect each time).
    wrapper = connections.create_connection("default")
    try:
        wrapper.ensure_connection()
        assert wrapper.is_usable()
        raw: Any = wrapper.connection
        _terminate(raw.info.backend_pid)
        select.select([raw.pgconn.socket], [], [], 5)
        assert not wrapper.is_usable()
    finally:
        wrapper.close()
