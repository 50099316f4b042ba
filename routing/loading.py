"""Published rules, compiled once per publish and cached in each process.

The call path asks for a location's published rules on every call, so the usual answer must
cost no database round trip. Every change that alters what calls get (a publish, a restore,
an emergency closure) bumps ``LocationRouting.generation`` and calls ``published_changed``
in its transaction: that drops this process's cached rules at once and, after commit,
increments a shared counter in Redis. Every process reads that counter at most every
``VERSION_CHECK_SECONDS`` (one Redis GET, not per call) and drops its cached rules when it
moved, so a publish reaches every web process and worker within about two seconds.

Safety nets, so that Redis holds hints only, never the record: a cached entry is checked
against the generation in the database at least every ``REVALIDATE_SECONDS`` (a lost
increment heals within a minute), and while the counter cannot be read every call checks the
generation in the database, as it did before the counter existed.

Both caches are keyed by organisation as well: a location or version id of another
organisation is never answered from the cache (row-level security answers the database
reads). Versions are immutable, so a config loaded by version id needs no check.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.db import connection, transaction

from routing import live
from routing.config import Emergency, RoutingConfig
from routing.document import compile_snapshot
from routing.models import LocationRouting, RoutingVersion
from tenancy.context import current_organization_id

logger = logging.getLogger(__name__)

MAX_ENTRIES = 4096
VERSION_CHECK_SECONDS = 2.0
REVALIDATE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Published:
    """A location's published rules as last seen: ``config`` is ``None`` when nothing is
    published (cached too, so locations on telephony's default routing cost nothing)."""

    generation: int
    config: RoutingConfig | None
    checked_at: float


_lock = threading.Lock()
# (organization id, location id) → its published rules.
_published: dict[tuple[int, int], _Published] = {}
# (organization id, version id) → config (without an emergency closure: that is per
# location, not per version).
_versions: dict[tuple[int, int], RoutingConfig] = {}
# The shared counter as last read; ``trusted`` is False while Redis cannot be read.
_shared: dict[str, float | int | bool | None] = {
    "checked_at": float("-inf"),
    "version": None,
    "trusted": False,
}
# How many configs this process compiled; tests use it to see the cache at work.
compiled_count = 0


def _shared_key() -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:routing:published:version"


def shared_version() -> int | None:
    """The shared publish counter; ``None`` when Redis does not answer."""
    try:
        value = live.client().get(_shared_key())
    except redis.RedisError:
        return None
    return int(value) if value else 0


def _bump_shared_version() -> None:
    try:
        live.client().incr(_shared_key())
    except redis.RedisError:
        logger.warning(
            "Routing publish counter not bumped; other processes revalidate within a minute"
        )


def _cache_is_trusted(now: float) -> bool:
    """Read the shared counter if it is due; whether cached entries may be used unchecked."""
    checked_at = _shared["checked_at"]
    assert isinstance(checked_at, float)
    if now - checked_at >= VERSION_CHECK_SECONDS:
        version = shared_version()
        with _lock:
            _shared["checked_at"] = now
            if version is None:
                _shared["trusted"] = False
            else:
                if version != _shared["version"]:
                    _published.clear()
                _shared["version"] = version
                _shared["trusted"] = True
    return bool(_shared["trusted"])


def published_changed() -> None:
    """Call inside the transaction that changed what a location's calls get (after bumping
    its generation): this process forgets its published rules now, every process within
    ``VERSION_CHECK_SECONDS`` of the commit."""
    _forget_published()
    transaction.on_commit(_after_change_commits)


def _after_change_commits() -> None:
    _forget_published()
    _bump_shared_version()


def _forget_published() -> None:
    with _lock:
        _published.clear()


def _holiday_years(now: datetime) -> range:
    return range(now.year - 1, now.year + 3)


def _compile(version: RoutingVersion, emergency: Emergency | None) -> RoutingConfig:
    global compiled_count
    compiled_count += 1
    return compile_snapshot(
        version.snapshot,
        version_id=version.pk,
        version_number=version.number,
        emergency=emergency,
        holiday_years=_holiday_years(datetime.now(UTC)),
    )


# Raw SQL: through the ORM it cost about three times as much (bench/README.md). It
# names the organisation as the scoped manager would. Asked only when the cache cannot be
# trusted (see the module docstring).
_GENERATION_SQL = (
    f"SELECT generation, published_version_id FROM {LocationRouting._meta.db_table} "
    "WHERE organization_id = %s AND location_id = %s"
)


def _generation(organization_id: int, location_id: int) -> tuple[int, int | None] | None:
    with connection.cursor() as cursor:
        cursor.execute(_GENERATION_SQL, [organization_id, location_id])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def published_config(location_id: int) -> RoutingConfig | None:
    """The location's published rules (with its emergency closure), or ``None`` when
    nothing is published. Call inside the location's tenant context."""
    organization_id = current_organization_id()
    key = (organization_id, location_id)
    now = time.monotonic()
    trusted = _cache_is_trusted(now)
    cached = _published.get(key)
    if cached is not None and trusted and now - cached.checked_at < REVALIDATE_SECONDS:
        return cached.config
    row = _generation(organization_id, location_id)
    generation = row[0] if row is not None else -1
    if cached is not None and cached.generation == generation:
        _remember(key, _Published(generation, cached.config, now))
        return cached.config
    if row is None or row[1] is None:
        _remember(key, _Published(generation, None, now))
        return None
    routing = LocationRouting.objects.select_related("published_version").get(
        location_id=location_id
    )
    version = routing.published_version
    config = None
    if version is not None:
        emergency = None
        if routing.emergency_until is not None:
            emergency = Emergency(routing.emergency_message, routing.emergency_until)
        config = _compile(version, emergency)
    _remember(key, _Published(routing.generation, config, now))
    return config


def _remember(key: tuple[int, int], entry: _Published) -> None:
    with _lock:
        if len(_published) >= MAX_ENTRIES:
            _published.clear()
        _published[key] = entry


def version_config(version_id: int) -> RoutingConfig | None:
    """The rules of one version (calls in progress keep the version that started them).
    Call inside the version's tenant context."""
    key = (current_organization_id(), version_id)
    cached = _versions.get(key)
    if cached is not None:
        return cached
    version = RoutingVersion.objects.filter(pk=version_id).first()
    if version is None:
        return None
    config = _compile(version, None)
    with _lock:
        if len(_versions) >= MAX_ENTRIES:
            _versions.clear()
        _versions[key] = config
    return config


def clear_cache() -> None:
    """Forget every cached config in this process (tests; never needed for correctness)."""
    with _lock:
        _published.clear()
        _versions.clear()
        _shared.update(checked_at=float("-inf"), version=None, trusted=False)
