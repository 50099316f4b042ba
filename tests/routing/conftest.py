"""Routing fixtures: a Redis database of routing's own (12), an empty config cache per
test, and a location with teams whose members can be rung."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from routing import loading
from tests.routing.worlds import RoutingWorld

# Flushed per test; a run beside another one names its own (see tests/telephony/conftest.py).
ROUTING_TEST_REDIS_URL = os.environ.get("TEST_ROUTING_REDIS_URL", "redis://localhost:6379/12")


@pytest.fixture(autouse=True)
def routing_redis(settings: Any) -> Iterator[redis.Redis]:
    settings.ROUTING_REDIS_URL = ROUTING_TEST_REDIS_URL
    connection = redis.Redis.from_url(ROUTING_TEST_REDIS_URL)
    connection.flushdb()
    loading.clear_cache()
    yield connection
    connection.flushdb()
    loading.clear_cache()


@pytest.fixture
def routing_a(org_a: Any) -> RoutingWorld:
    return RoutingWorld(org_a)


@pytest.fixture
def routing_b(org_b: Any) -> RoutingWorld:
    return RoutingWorld(org_b)
