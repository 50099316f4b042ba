"""A menu entry in a section named like tenancy's, placed elsewhere."""

from __future__ import annotations

from tenancy.navigation import NavEntry, Section
from tenancy.roles import Capability

ENTRIES = [
    NavEntry("Clash", "kit-reports", Capability.VIEW_AUDIT, Section("Administration", 50), 10)
]
