"""Routing pages: resolve access, call one service or selector, render.

Each view declares its capability, methods and URL objects with the access kit's
``tenant_page``: its objects are found in the tenant first (another organisation's object
is a 404 for every role), then the capability is checked (403 for a member of this
organisation whose role lacks it)."""

from __future__ import annotations

from routing.views.answering import (
    after_hours,
    alerts,
    emergency,
    emergency_end,
    overflow,
    tier_add,
    tier_delete,
    tier_move,
    tiers,
)
from routing.views.base import STALE, item_key
from routing.views.people import (
    agent_edit,
    agents,
    home,
    notifications,
    notifications_read,
    presence,
)
from routing.views.publishing import (
    coverage,
    discard,
    location_overview,
    preview,
    publish,
    version_detail,
    version_restore,
    versions,
)
from routing.views.schedule import (
    break_add,
    closed_date_add,
    closed_date_delete,
    holidays,
    period_add,
    period_delete,
    schedule,
    time_zone,
)

__all__ = [
    "STALE",
    "after_hours",
    "agent_edit",
    "agents",
    "alerts",
    "break_add",
    "closed_date_add",
    "closed_date_delete",
    "coverage",
    "discard",
    "emergency",
    "emergency_end",
    "holidays",
    "home",
    "item_key",
    "location_overview",
    "notifications",
    "notifications_read",
    "overflow",
    "period_add",
    "period_delete",
    "presence",
    "preview",
    "publish",
    "schedule",
    "tier_add",
    "tier_delete",
    "tier_move",
    "tiers",
    "time_zone",
    "version_detail",
    "version_restore",
    "versions",
]
