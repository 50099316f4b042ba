"""Live agent presence in Redis: one hash per organisation, read once per call decision.

The database (``AgentPresence``) is the record; Redis is a mirror the call path can read in
one round trip. The hash carries a ``_loaded`` marker, so an absent hash (Redis restarted or
flushed) is told apart from "nobody has a status" and rebuilt from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import redis
from django.conf import settings

from foundation.redis_clients import redis_client

logger = logging.getLogger(__name__)

LOADED_FIELD = "_loaded"
# The mirror is rebuilt from the database at least this often, which bounds how long a
# change lost in a race with a rebuild (or a Redis hiccup) can be missing from it.
TTL_SECONDS = 300


def redis_url() -> str:
    """``ROUTING_REDIS_URL`` if set, else the cache's Redis (REDIS_URL in production)."""
    configured = getattr(settings, "ROUTING_REDIS_URL", "")
    if configured:
        return str(configured)
    location = settings.CACHES["default"].get("LOCATION", settings.REDIS_URL)
    return str(location if isinstance(location, str) else location[0])


def _client(url: str) -> redis.Redis:
    return redis_client(url, timeout_seconds=0.5)


def client() -> redis.Redis:
    return _client(redis_url())


def presence_key(organization_id: int) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:routing:presence:{organization_id}"


def read_presence(organization_id: int) -> dict[int, str] | None:
    """Membership id → status, or ``None`` when the mirror is missing or Redis is down."""
    try:
        raw = client().hgetall(presence_key(organization_id))
    except redis.RedisError:
        logger.warning("Presence mirror unreadable; falling back to the database")
        return None
    if not raw or LOADED_FIELD.encode() not in raw:
        return None
    return {
        int(key): value.decode() if isinstance(value, bytes) else str(value)
        for key, value in raw.items()
        if key != LOADED_FIELD.encode() and key.isdigit()
    }


def write_presence(organization_id: int, membership_id: int, status: str) -> None:
    """Mirror one change. When the hash is missing it stays missing (the next read rebuilds
    it from the database whole), so a partial hash never passes for a complete one."""
    key = presence_key(organization_id)
    try:
        connection = client()
        if connection.hexists(key, LOADED_FIELD):
            connection.hset(key, str(membership_id), status)
    except redis.RedisError:
        logger.warning("Presence mirror not updated; the next read rebuilds it")


def store_presence(organization_id: int, statuses: Mapping[int, str]) -> None:
    """Replace the whole mirror of an organisation."""
    key = presence_key(organization_id)
    mapping: dict[Any, Any] = {str(k): v for k, v in statuses.items()} | {LOADED_FIELD: "1"}
    try:
        pipe = client().pipeline()
        pipe.delete(key)
        pipe.hset(key, mapping=mapping)
        pipe.expire(key, TTL_SECONDS)
        pipe.execute()
    except redis.RedisError:
        logger.warning("Presence mirror not stored")


def forget_presence(organization_id: int) -> None:
    try:
        client().delete(presence_key(organization_id))
    except redis.RedisError:
        logger.warning("Presence mirror not cleared")
