"""One Redis client per address and timeout, kept for the process: counters, limits and
mirrors make a round trip per request, and a client per call would open a connection each
time."""

from __future__ import annotations

from functools import cache

import redis


@cache
def redis_client(url: str, *, timeout_seconds: float = 1.0) -> redis.Redis:
    """The process's client for ``url``. A short timeout, because every caller treats Redis
    as best-effort and must answer without it."""
    return redis.Redis.from_url(
        url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
    )
