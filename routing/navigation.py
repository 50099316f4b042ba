"""Routing's entries in the organisation's navigation (collected by tenancy.navigation)."""

from __future__ import annotations

from routing.capabilities import RoutingCapability
from tenancy.navigation import NavEntry, Section

# Between tenancy's Organisation (100) and Administration (900) sections; a later app that
# covers calls too may import and share this section.
COVERAGE = Section("Coverage", 200)

ENTRIES: list[NavEntry] = [
    NavEntry(
        "Routing",
        "routing",
        RoutingCapability.VIEW_ROUTING,
        COVERAGE,
        10,
        also_active_on=(
            "routing-location",
            "routing-schedule",
            "routing-tiers",
            "routing-after-hours",
            "routing-holidays",
            "routing-alerts",
            "routing-emergency",
            "routing-preview",
            "routing-coverage",
            "routing-versions",
            "routing-version",
            "routing-agents",
            "routing-notifications",
        ),
    ),
    NavEntry("My presence", "routing-presence", RoutingCapability.SET_OWN_PRESENCE, COVERAGE, 20),
]
