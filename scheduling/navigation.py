"""The scheduled-work page in the organisation's navigation."""

from __future__ import annotations

from scheduling.capabilities import SchedulingCapability
from tenancy.navigation import ADMINISTRATION, NavEntry

ENTRIES = [
    NavEntry(
        "Scheduled work",
        "scheduled-work",
        SchedulingCapability.MANAGE_SCHEDULED_WORK,
        ADMINISTRATION,
        25,
    ),
]
