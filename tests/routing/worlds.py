"""A location whose routing can be published: teams with ringable members, in one
organisation (shared by the routing tests and the browser tests)."""

from __future__ import annotations

from typing import Any

from routing.models import AgentProfile
from tenancy.context import tenant_context
from tenancy.models import Location, Team, TeamMember
from tenancy.roles import Role
from tests.factories import LocationFactory, TeamFactory


class RoutingWorld:
    """An organisation's location with a Frontline team of two ringable agents (the agent
    and the supervisor) and a Specialists team (the owner)."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.organization = world.organization
        with tenant_context(self.organization):
            self.location: Location = LocationFactory.create(
                organization=self.organization,
                name="Main Office",
                time_zone="America/New_York",
                phone="+12125550100",
            )
            self.other_location: Location = LocationFactory.create(
                organization=self.organization, name="Second Office", time_zone="America/Denver"
            )
            self.frontline: Team = TeamFactory.create(
                organization=self.organization, name="Frontline"
            )
            self.specialists: Team = TeamFactory.create(
                organization=self.organization, name="Specialists"
            )
            self.empty_team: Team = TeamFactory.create(
                organization=self.organization, name="Empty Team"
            )
            agents = [(Role.AGENT, "+12125550111"), (Role.SUPERVISOR, "+12125550112")]
            for position, (role, phone) in enumerate(agents):
                membership = world.members[role]
                TeamMember.objects.create(
                    team=self.frontline, membership=membership, position=position
                )
                AgentProfile.objects.create(membership=membership, phone=phone)
            owner = world.members[Role.OWNER]
            TeamMember.objects.create(team=self.specialists, membership=owner, position=0)
            AgentProfile.objects.create(membership=owner, client_identity="owner-browser")

    def member(self, role: Role) -> Any:
        return self.world.members[role]

    def tenant(self, role: Role = Role.SUPERVISOR) -> Any:
        return self.world.tenant(role)

    def tiers(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": "team",
                "name": "",
                "team_id": self.frontline.pk,
                "number": "",
                "strategy": "in_order",
                "ring_timeout_seconds": 20,
                "move_on": ["no_answer", "busy", "no_agent_available"],
            },
            {
                "kind": "team",
                "name": "",
                "team_id": self.specialists.pk,
                "number": "",
                "strategy": "simultaneous",
                "ring_timeout_seconds": 25,
                "move_on": ["no_answer", "busy", "no_agent_available"],
            },
        ]


def published_version_id(world: Any) -> int:
    """A published routing version in ``world``'s organisation (an ``OrgWorld``), for tests
    that need a version id (the authorization matrix's object maker)."""
    from routing import services

    with tenant_context(world.organization):
        location = LocationFactory.create(organization=world.organization)
        team = TeamFactory.create(organization=world.organization)
        membership = world.members[Role.AGENT]
        TeamMember.objects.create(team=team, membership=membership, position=0)
        AgentProfile.objects.update_or_create(
            membership=membership, defaults={"phone": "+12125550111"}
        )
        rules = services.routing_for(location).draft
        rules["tiers"] = [
            {
                "kind": "team",
                "name": "",
                "team_id": team.pk,
                "number": "",
                "strategy": "in_order",
                "ring_timeout_seconds": 20,
                "move_on": ["no_answer"],
            }
        ]
        actor = world.tenant(Role.OWNER)
        services.draft_save(actor=actor, location=location, document=rules)
        return services.routing_publish(actor=actor, location=location).pk
