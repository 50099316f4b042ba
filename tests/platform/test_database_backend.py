"""The database backend's health check: no round trip, yet a connection the server has
closed is never reused."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

from tests.conftest import drop_connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_connection_the_server_closed_is_unusable_and_an_idle_one_is_usable():
    # Catches a health check that trusts every kept connection (a restart of PostgreSQL
    # would fail the first request on each) or that distrusts idle ones (a reconnect each time).
    wrapper = connections.create_connection("default")
    try:
        wrapper.ensure_connection()
        assert wrapper.is_usable()
        raw: Any = wrapper.connection
        drop_connection(raw)
        assert not wrapper.is_usable()
    finally:
        wrapper.close()
