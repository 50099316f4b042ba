"""Telephony's Redis counters: rejected webhooks, outbound rate limits, and the version of
the number directory (telephony.directory), which other processes poll to drop their caches.

Redis here holds counts and hints only, never the record of anything: losing it loses a
statistic or lets one cache live until its TTL, nothing more.
"""

from __future__ import annotations

import logging
from datetime import datetime

import redis
from django.conf import settings

from foundation.redis_clients import redis_client

logger = logging.getLogger(__name__)

DIRECTORY_VERSION_KEY = "telephony:directory:version"
REJECTED_KEY = "telephony:webhooks:rejected:{reason}"


def client() -> redis.Redis:
    return redis_client(settings.TELEPHONY_REDIS_URL)


def count_rejected_webhook(reason: str) -> None:
    """One more webhook refused for ``reason`` (missing or bad signature)."""
    try:
        client().incr(REJECTED_KEY.format(reason=reason))
    except redis.RedisError:
        logger.warning("could not count a rejected webhook", extra={"reason": reason})


def rejected_webhooks(reason: str) -> int:
    value = client().get(REJECTED_KEY.format(reason=reason))
    return int(value) if value else 0


def directory_version() -> int | None:
    """The shared version of the number directory; ``None`` when Redis does not answer."""
    try:
        value = client().get(DIRECTORY_VERSION_KEY)
    except redis.RedisError:
        return None
    return int(value) if value else 0


def bump_directory_version() -> None:
    try:
        client().incr(DIRECTORY_VERSION_KEY)
    except redis.RedisError:
        logger.warning("could not bump the number directory version; caches expire by TTL")


def take_outbound_slot(organization_id: int, *, limit_per_minute: int, now: datetime) -> bool:
    """Count one outbound send against the organisation's per-minute budget.

    A fixed one-minute window (INCR with an expiry): simple and exact within a minute; a
    burst may reach twice the limit across a minute boundary, which the carrier tolerates.
    """
    window = int(now.timestamp()) // 60
    key = f"telephony:outbound:{organization_id}:{window}"
    pipe = client().pipeline()
    pipe.incr(key)
    pipe.expire(key, 120)
    count, _ = pipe.execute()
    return int(count) <= limit_per_minute
