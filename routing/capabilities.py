"""What routing lets each role do, added to tenancy's table of roles (tenancy.roles.grant)."""

from __future__ import annotations

from enum import StrEnum

from tenancy.roles import Role, grant


class RoutingCapability(StrEnum):
    VIEW_ROUTING = "view_routing"
    MANAGE_ROUTING = "manage_routing"
    SET_OWN_PRESENCE = "set_own_presence"


grant(
    {
        RoutingCapability.VIEW_ROUTING: {Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP},
        RoutingCapability.MANAGE_ROUTING: {Role.OWNER, Role.SUPERVISOR},
        RoutingCapability.SET_OWN_PRESENCE: {Role.OWNER, Role.SUPERVISOR, Role.AGENT},
    }
)
