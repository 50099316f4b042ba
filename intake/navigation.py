"""Intake's entries in the organisation's navigation (collected by tenancy.navigation)."""

from __future__ import annotations

from tenancy.navigation import NavEntry, Section

# After routing's Coverage section (200): the work that calls turn into.
WORK = Section("Calls and follow-up", 300)

ENTRIES: list[NavEntry] = []
