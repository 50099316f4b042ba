"""Tests that only mean something on a Citus cluster (bin/test-citus); skipped on plain
PostgreSQL, where the rest of the suite covers the same behaviour."""

from __future__ import annotations

import pytest
from django.db import connection

# The hot-path tests (test_hot_paths.py) use the telephony and routing worlds and their
# Redis isolation, defined beside those tests.
from tests.routing.conftest import routing_a, routing_b, routing_redis  # noqa: F401
from tests.telephony.conftest import tel_a, tel_b, telephony_isolation, twilio  # noqa: F401


@pytest.fixture(autouse=True)
def _citus_only(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        if not cursor.fetchone()[0]:
            pytest.skip("needs the Citus extension: run bin/test-citus")
