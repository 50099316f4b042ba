"""Which organisation a webhook belongs to, and that organisation's telephony configuration,
cached in process so the webhook hot path usually makes no extra database round trip.

Resolution (docs/architecture.md, "Tenants and isolation"): a webhook carries the Twilio
subaccount (``AccountSid``) and the organisation's own number (``To`` inbound, ``From`` on
callbacks about calls and texts we placed) or, on callback URLs we generated, the number's
id (``pn``). Tenant tables are under row-level security and no tenant is known yet, so the
organisation is found through the narrow SECURITY DEFINER function ``telephony_number_route``
(telephony/migrations/0007), which reads the number directory table and returns only the
organisation and the number's id for that exact pair. The number's location and source
label and the account's encrypted auth token are then read in one query inside that
organisation's tenant context, under row-level security, where the pair is checked again
against the numbers and the account themselves.

Caching: two small dicts per process, each entry with a TTL (60 s; 5 s for "unknown
number"). Writes that change numbers, accounts or settings clear this process's cache at
once and bump a version counter in Redis after commit; every process reads that counter at
most every 5 s and drops its caches when it moved. So a change is seen everywhere within
about 5 s, and within the TTL even if Redis is down. Location changes made by tenancy's
services (forwarding number, time zone) do not bump the counter and are seen within the TTL.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import time as clock_time
from typing import Any

from django.db import connection, transaction
from twilio.request_validator import RequestValidator

from foundation.crypto import InvalidToken, decrypt_text
from telephony import counters
from telephony.models import TelephonySettings
from tenancy.context import tenant_context
from tenancy.models import Location, Organization

logger = logging.getLogger(__name__)

ENTRY_TTL_SECONDS = 60.0
UNKNOWN_TTL_SECONDS = 5.0
VERSION_CHECK_SECONDS = 5.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class NumberRoute:
    """The tenant of a webhook, and the means to check the webhook's signature."""

    organization_id: int
    phone_number_id: int
    location_id: int
    source_label: str
    validator: RequestValidator = field(repr=False)


@dataclass(frozen=True)
class LocationConfig:
    id: int
    name: str
    time_zone: str
    forwarding_e164: str


@dataclass(frozen=True)
class TenantTelephony:
    """What the webhooks need to know about an organisation; read inside its tenant context."""

    organization_id: int
    organization_name: str
    country: str
    time_zone: str
    sms_help_text: str
    short_abandon_seconds: int
    dial_timeout_seconds: int
    sms_opt_in_reply: str
    sms_opt_out_reply: str
    calling_window_start: clock_time
    calling_window_end: clock_time
    outbound_per_minute: int
    locations: dict[int, LocationConfig]

    def location(self, location_id: int | None) -> LocationConfig | None:
        return self.locations.get(location_id) if location_id is not None else None

    @property
    def help_reply(self) -> str:
        return self.sms_help_text or (
            f"{self.organization_name}: reply STOP to stop texts, START to resume."
        )


class _TtlCache:
    def __init__(self) -> None:
        self._entries: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, now: float) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is None or entry[0] < now:
            return False, None
        return True, entry[1]

    def put(self, key: Any, value: Any, expires_at: float) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (expires_at, value)

    def clear(self) -> None:
        self._entries.clear()


_routes = _TtlCache()
_tenants = _TtlCache()
_version_state: dict[str, float | int | None] = {"checked_at": 0.0, "version": None}


def _check_version(now: float) -> None:
    checked_at = _version_state["checked_at"]
    assert isinstance(checked_at, float)
    if now - checked_at < VERSION_CHECK_SECONDS:
        return
    _version_state["checked_at"] = now
    version = counters.directory_version()
    if version is None:
        return
    if version != _version_state["version"]:
        _routes.clear()
        _tenants.clear()
        _version_state["version"] = version


def clear_local_cache() -> None:
    """Forget every cached entry in this process (tests, and after local writes)."""
    _routes.clear()
    _tenants.clear()
    _version_state["checked_at"] = 0.0


def invalidate() -> None:
    """After a change to numbers, accounts or telephony settings: clear this process now and
    every other process within seconds (the Redis version moves once the change commits)."""
    clear_local_cache()
    transaction.on_commit(counters.bump_directory_version)


def _lookup_route(
    account_sid: str, e164: str | None, phone_number_id: int | None
) -> NumberRoute | None:
    # Raw SQL on purpose: no tenant is known yet, so the organisation comes from the narrow
    # SECURITY DEFINER function (telephony migration 0007), which reads only the number
    # directory; tests/telephony/test_webhook_security.py checks that another
    # organisation's subaccount or token never resolves to this organisation.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT organization_id, phone_number_id FROM telephony_number_route(%s, %s, %s)",
            [account_sid, e164, phone_number_id],
        )
        rows = cursor.fetchall()
    if len(rows) != 1:
        if rows:
            logger.error("ambiguous number route: the same number under two organisations")
        return None
    organization_id, number_id = rows[0]
    # One query on the tenant's own rows (a single shard group on Citus). It repeats the
    # pair and the active flags, so a directory row the tables no longer back routes
    # nowhere, and an organisation switched off receives nothing.
    with tenant_context(organization_id), connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.location_id, n.source_label, a.auth_token "
            "FROM telephony_phonenumber n "
            "JOIN telephony_twilioaccount a ON a.organization_id = n.organization_id "
            "JOIN tenancy_organization o ON o.id = n.organization_id "
            "WHERE n.organization_id = %s AND a.organization_id = %s AND n.id = %s "
            "AND a.account_sid = %s AND n.is_active AND a.is_active AND o.is_active",
            [organization_id, organization_id, number_id, account_sid],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    location_id, source_label, stored_token = row
    try:
        token = decrypt_text(stored_token)
    except InvalidToken:
        logger.error(
            "cannot decrypt the Twilio auth token: its key is not in FIELD_ENCRYPTION_KEYS",
            extra={"organization_id": organization_id},
        )
        return None
    return NumberRoute(
        organization_id=organization_id,
        phone_number_id=number_id,
        location_id=location_id,
        source_label=source_label,
        validator=RequestValidator(token),
    )


def route_for(
    *, account_sid: str, e164: str | None = None, phone_number_id: int | None = None
) -> NumberRoute | None:
    """The organisation that owns this number under this Twilio subaccount, or ``None``."""
    if not account_sid or (not e164 and phone_number_id is None):
        return None
    now = time.monotonic()
    _check_version(now)
    key = (account_sid, e164 if phone_number_id is None else None, phone_number_id)
    found, route = _routes.get(key, now)
    if found:
        return route
    route = _lookup_route(account_sid, key[1], phone_number_id)
    ttl = ENTRY_TTL_SECONDS if route is not None else UNKNOWN_TTL_SECONDS
    _routes.put(key, route, now + ttl)
    return route


def tenant_telephony(organization_id: int) -> TenantTelephony:
    """The organisation's telephony configuration. Call inside its ``tenant_context``."""
    now = time.monotonic()
    _check_version(now)
    found, config = _tenants.get(organization_id, now)
    if found:
        return config
    config = _load_tenant(organization_id)
    _tenants.put(organization_id, config, now + ENTRY_TTL_SECONDS)
    return config


def _load_tenant(organization_id: int) -> TenantTelephony:
    organization = Organization.objects.get(pk=organization_id)
    settings = TelephonySettings.objects.first() or TelephonySettings()
    locations = {
        location.pk: LocationConfig(
            id=location.pk,
            name=location.name,
            time_zone=location.time_zone,
            forwarding_e164=location.phone,
        )
        for location in Location.objects.only("id", "name", "time_zone", "phone")
    }
    return TenantTelephony(
        organization_id=organization_id,
        organization_name=organization.name,
        country=organization.country,
        time_zone=organization.time_zone,
        sms_help_text=organization.sms_help_text,
        short_abandon_seconds=settings.short_abandon_seconds,
        dial_timeout_seconds=settings.dial_timeout_seconds,
        sms_opt_in_reply=settings.sms_opt_in_reply,
        sms_opt_out_reply=settings.sms_opt_out_reply,
        calling_window_start=settings.calling_window_start,
        calling_window_end=settings.calling_window_end,
        outbound_per_minute=settings.outbound_per_minute,
        locations=locations,
    )
