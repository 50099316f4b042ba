"""What the scheduled-work page lets each role do (granted into tenancy's table)."""

from __future__ import annotations

from enum import StrEnum

from tenancy.roles import Role, grant


class SchedulingCapability(StrEnum):
    MANAGE_SCHEDULED_WORK = "manage_scheduled_work"


grant({SchedulingCapability.MANAGE_SCHEDULED_WORK: {Role.OWNER, Role.SUPERVISOR}})
