"""Roles and what each may do: the one table every view and API permission consults."""

from __future__ import annotations

from enum import StrEnum

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
    MANAGE_ROUTING = "manage_routing"
    VIEW_ROUTING = "view_routing"
    SET_OWN_PRESENCE = "set_own_presence"


ALL_ROLES = frozenset(Role)

CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.VIEW_ORGANIZATION: ALL_ROLES,
    Capability.VIEW_MEMBERS: frozenset({Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP}),
    Capability.MANAGE_ORGANIZATION: frozenset({Role.OWNER}),
    Capability.MANAGE_MEMBERS: frozenset({Role.OWNER}),
    Capability.MANAGE_LOCATIONS: frozenset({Role.OWNER, Role.SUPERVISOR}),
    Capability.MANAGE_TEAMS: frozenset({Role.OWNER, Role.SUPERVISOR}),
    Capability.MANAGE_API_KEYS: frozenset({Role.OWNER}),
    Capability.VIEW_AUDIT: frozenset({Role.OWNER, Role.SUPERVISOR}),
    Capability.MANAGE_ROUTING: frozenset({Role.OWNER, Role.SUPERVISOR}),
    Capability.VIEW_ROUTING: frozenset({Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP}),
    Capability.SET_OWN_PRESENCE: frozenset({Role.OWNER, Role.SUPERVISOR, Role.AGENT}),
}


def role_can(role: str | None, capability: Capability) -> bool:
    return role is not None and role in CAPABILITIES[capability]
