"""Published rules, compiled once per publish and cached in each process.

Every change that alters what calls get (a publish, a restore, an emergency closure) bumps
``LocationRouting.generation`` in the same transaction. A decision reads that number with
one indexed query and rebuilds the cached ``RoutingConfig`` only when it moved, so a publish
reaches every web process and worker at its next call without any message between them.
Versions are immutable, so a config loaded by version id is cached without a check.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from django.db import connection

from routing.config import Emergency, RoutingConfig
from routing.document import compile_snapshot
from routing.models import LocationRouting, RoutingVersion
from tenancy.context import current_organization_id

MAX_ENTRIES = 4096

_lock = threading.Lock()
# location id → (generation, config) of its published rules.
_published: dict[int, tuple[int, RoutingConfig]] = {}
# version id → config (without an emergency closure: that is per location, not per version).
_versions: dict[int, RoutingConfig] = {}
# How many configs this process compiled; tests use it to see the cache at work.
compiled_count = 0


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


# The one query of every call decision, in SQL: through the ORM it cost about three times as
# much (bench/routing/README.md). It names the organisation as the scoped manager would.
_GENERATION_SQL = (
    f"SELECT generation, published_version_id FROM {LocationRouting._meta.db_table} "
    "WHERE organization_id = %s AND location_id = %s"
)


def _generation(location_id: int) -> tuple[int, int | None] | None:
    with connection.cursor() as cursor:
        cursor.execute(_GENERATION_SQL, [current_organization_id(), location_id])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def published_config(location_id: int) -> RoutingConfig | None:
    """The location's published rules (with its emergency closure), or ``None`` when
    nothing is published. Call inside the location's tenant context."""
    row = _generation(location_id)
    if row is None or row[1] is None:
        return None
    generation = row[0]
    cached = _published.get(location_id)
    if cached is not None and cached[0] == generation:
        return cached[1]
    routing = LocationRouting.objects.select_related("published_version").get(
        location_id=location_id
    )
    version = routing.published_version
    if version is None:
        return None
    emergency = None
    if routing.emergency_until is not None:
        emergency = Emergency(routing.emergency_message, routing.emergency_until)
    config = _compile(version, emergency)
    with _lock:
        if len(_published) >= MAX_ENTRIES:
            _published.clear()
        _published[location_id] = (routing.generation, config)
    return config


def version_config(version_id: int) -> RoutingConfig | None:
    """The rules of one version (calls in progress keep the version that started them)."""
    cached = _versions.get(version_id)
    if cached is not None:
        return cached
    version = RoutingVersion.objects.filter(pk=version_id).first()
    if version is None:
        return None
    config = _compile(version, None)
    with _lock:
        if len(_versions) >= MAX_ENTRIES:
            _versions.clear()
        _versions[version_id] = config
    return config


def clear_cache() -> None:
    """Forget every cached config in this process (tests; never needed for correctness)."""
    with _lock:
        _published.clear()
        _versions.clear()
