"""Demo routing for ``manage.py seed_demo``: published rules for every location, dial
targets for the teams' members, and the agents available. Idempotent: a location that has
published rules is left as it is."""

from __future__ import annotations

from routing import services
from routing.models import AgentProfile, LocationRouting, Presence, RoutingVersion
from tenancy.models import Location, Team, TeamMember
from tenancy.resolution import Tenant
from tenancy.roles import Role


def _demo_phone(membership_id: int) -> str:
    # 555-0100 to 555-0199 are reserved for fiction in the North American plan.
    return f"+1202555{100 + membership_id % 100:04d}"


def seed_routing(*, actor: Tenant) -> list[RoutingVersion]:
    """Publish demo rules for each active location of the organisation in context that has
    none: weekdays 09:00–12:00 and 13:00–17:00 (a lunch gap), its teams as tiers (the first
    in order, the others all at once), overflow after 90 s to voicemail with a callback
    offer, voicemail after hours. Members of the teams get a demo number if they have no
    dial target, and agents are set available. Returns the versions it published."""
    for row in TeamMember.objects.select_related("membership"):
        if not AgentProfile.objects.filter(membership=row.membership).exists():
            services.agent_profile_set(
                actor=actor, membership=row.membership, phone=_demo_phone(row.membership_id)
            )
        if row.membership.role == Role.AGENT:
            services.presence_set(membership=row.membership, status=Presence.AVAILABLE)
    teams = [team for team in Team.objects.order_by("name") if team.members.exists()]
    published = []
    for location in Location.objects.filter(is_active=True).order_by("id"):
        exists = LocationRouting.objects.filter(
            location=location, published_version__isnull=False
        ).exists()
        if exists or not teams:
            continue
        rules = services.routing_for(location).draft
        rules["periods"] = [
            {"day": day, "start": start, "end": end}
            for day in range(5)
            for start, end in (("09:00", "12:00"), ("13:00", "17:00"))
        ]
        rules["tiers"] = [
            {
                "kind": "team",
                "name": "",
                "team_id": team.pk,
                "number": "",
                "strategy": "in_order" if index == 0 else "simultaneous",
                "ring_timeout_seconds": 20,
                "move_on": ["no_answer", "busy", "no_agent_available"],
            }
            for index, team in enumerate(teams)
        ]
        rules["overflow"].update(max_wait_seconds=90, callback_offer=True)
        services.draft_save(actor=actor, location=location, document=rules)
        published.append(
            services.routing_publish(actor=actor, location=location, note="Demo rules")
        )
    return published
