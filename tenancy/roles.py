"""Roles and what each may do: the one table every view and API permission consults.

Tenancy declares its own capabilities here; every other app declares its own in its
``capabilities.py`` and adds them to the table with ``grant`` (collected when tenancy's app
is ready), so a new app never edits this file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    SUPERVISOR = "supervisor", "Supervisor"
    AGENT = "agent", "Agent"
    QA = "qa", "QA reviewer"
    LEADERSHIP = "leadership", "Leadership"


class Capability(StrEnum):
    VIEW_ORGANIZATION = "view_organization"
    MANAGE_ORGANIZATION = "manage_organization"
    MANAGE_MEMBERS = "manage_members"
    VIEW_MEMBERS = "view_members"
    MANAGE_LOCATIONS = "manage_locations"
    MANAGE_TEAMS = "manage_teams"
    MANAGE_API_KEYS = "manage_api_keys"
    VIEW_AUDIT = "view_audit"


# A capability of any app: a member of the StrEnum that the app declares. Values are unique
# across apps (``grant`` refuses a clash).
AnyCapability = StrEnum


ALL_ROLES = frozenset(Role)

CAPABILITIES: dict[str, frozenset[Role]] = {
    Capability.VIEW_ORGANIZATION: ALL_ROLES,
    Capability.VIEW_MEMBERS: frozenset({Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP}),
    Capability.MANAGE_ORGANIZATION: frozenset({Role.OWNER}),
    Capability.MANAGE_MEMBERS: frozenset({Role.OWNER}),
    Capability.MANAGE_LOCATIONS: frozenset({Role.OWNER, Role.SUPERVISOR}),
    Capability.MANAGE_TEAMS: frozenset({Role.OWNER, Role.SUPERVISOR}),
    Capability.MANAGE_API_KEYS: frozenset({Role.OWNER}),
    Capability.VIEW_AUDIT: frozenset({Role.OWNER, Role.SUPERVISOR}),
}


def grant(table: Mapping[AnyCapability, Iterable[Role]]) -> None:
    """Add an app's capabilities to the table, each with the roles that hold it. Called by
    the app's ``capabilities.py``; granting the same capability again with other roles is a
    mistake (two apps chose one name), so it raises."""
    for capability, roles in table.items():
        holders = frozenset(roles)
        if CAPABILITIES.setdefault(str(capability), holders) != holders:
            raise ImproperlyConfigured(
                f"Capability {str(capability)!r} is granted twice with different roles: "
                "give each app's capabilities names of their own."
            )


def roles_with(capability: AnyCapability) -> frozenset[Role]:
    """The roles that hold ``capability``; an undeclared one is a programming error."""
    try:
        return CAPABILITIES[capability]
    except KeyError:
        raise ImproperlyConfigured(
            f"Capability {str(capability)!r} was never granted: declare it in its app's "
            "capabilities.py and grant it to roles."
        ) from None


def role_can(role: str | None, capability: AnyCapability) -> bool:
    return role is not None and role in roles_with(capability)
