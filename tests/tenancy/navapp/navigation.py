"""The test app's menu: one page in a section between the apps' and Administration."""

from __future__ import annotations

from tenancy.navigation import NavEntry, Section
from tenancy.roles import Capability

REPORTS = Section("Reports", 450)

ENTRIES = [NavEntry("Reports", "kit-reports", Capability.VIEW_AUDIT, REPORTS, 10)]
