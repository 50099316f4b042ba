"""Reads for routing screens, the API and validation. Call inside a tenant context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from routing.config import Agent
from routing.document import TeamInfo, ValidationContext
from routing.models import (
    AgentPresence,
    AgentProfile,
    CallbackRequest,
    LocationRouting,
    Notification,
    Presence,
    RoutingVersion,
)
from tenancy.models import Location, Membership, Team, TeamMember
from tenancy.roles import Role

ROUTABLE_ROLES = (Role.OWNER, Role.SUPERVISOR, Role.AGENT)


def member_name(membership: Membership) -> str:
    user = membership.user
    return user.get_full_name() or user.email or user.get_username()


def team_infos() -> dict[int, TeamInfo]:
    """Every team with its active members that have a dial target, in ring order."""
    profiles = {p.membership_id: p for p in AgentProfile.objects.all()}
    members: dict[int, list[TeamMember]] = {}
    for row in (
        TeamMember.objects.select_related("membership__user")
        .filter(membership__is_active=True)
        .order_by("team_id", "position", "id")
    ):
        members.setdefault(row.team_id, []).append(row)
    infos = {}
    for team in Team.objects.all():
        rows = members.get(team.pk, [])
        agents = []
        for row in rows:
            profile = profiles.get(row.membership_id)
            if profile is None or not (profile.phone or profile.client_identity):
                continue
            agents.append(
                Agent(
                    membership_id=row.membership_id,
                    name=member_name(row.membership),
                    number=profile.phone,
                    client=profile.client_identity,
                )
            )
        infos[team.pk] = TeamInfo(team.pk, team.name, len(rows), tuple(agents))
    return infos


def validation_context(location: Location, *, today: date) -> ValidationContext:
    others = {loc.pk: loc.name for loc in Location.objects.exclude(pk=location.pk)}
    edges: dict[int, int | None] = {}
    published: set[int] = set()
    for routing in LocationRouting.objects.select_related("published_version").filter(
        published_version__isnull=False
    ):
        version = routing.published_version
        assert version is not None
        published.add(routing.location_id)
        target = version.rules.get("overflow", {}).get("target", {})
        edges[routing.location_id] = (
            target.get("location_id") if target.get("kind") == "location" else None
        )
    return ValidationContext(
        location_id=location.pk,
        today=today,
        location_phone=location.phone,
        teams=team_infos(),
        locations=others,
        overflow_edges=edges,
        published_locations=frozenset(published),
    )


@dataclass(frozen=True)
class LocationRow:
    location: Location
    routing: LocationRouting | None

    @property
    def published(self) -> RoutingVersion | None:
        return self.routing.published_version if self.routing else None

    @property
    def emergency_active(self) -> bool:
        until = self.routing.emergency_until if self.routing else None
        return until is not None and until > timezone.now()

    @property
    def has_unpublished_changes(self) -> bool:
        if self.routing is None:
            return False
        version = self.routing.published_version
        return version is None or version.rules != self.routing.draft


def location_rows() -> list[LocationRow]:
    routings = {
        r.location_id: r for r in LocationRouting.objects.select_related("published_version")
    }
    return [
        LocationRow(location, routings.get(location.pk))
        for location in Location.objects.filter(is_active=True).order_by("name")
    ]


def versions_of(location: Location) -> QuerySet[RoutingVersion]:
    return RoutingVersion.objects.filter(location=location).order_by("-number")


def previous_version(version: RoutingVersion) -> RoutingVersion | None:
    return (
        RoutingVersion.objects.filter(location_id=version.location_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


@dataclass(frozen=True)
class PresenceRow:
    membership: Membership
    name: str
    status: str
    label: str
    has_target: bool


def presence_board() -> list[PresenceRow]:
    statuses = {p.membership_id: p.status for p in AgentPresence.objects.all()}
    targets = {p.membership_id for p in AgentProfile.objects.all() if p.phone or p.client_identity}
    rows = []
    for membership in Membership.objects.select_related("user").filter(
        is_active=True, role__in=ROUTABLE_ROLES
    ):
        status = statuses.get(membership.pk, Presence.OFFLINE)
        rows.append(
            PresenceRow(
                membership,
                member_name(membership),
                status,
                Presence(status).label,
                membership.pk in targets,
            )
        )
    return sorted(rows, key=lambda row: row.name.lower())


def presence_of(membership: Membership) -> str:
    row = AgentPresence.objects.filter(membership=membership).values_list("status", flat=True)
    return row.first() or Presence.OFFLINE


@dataclass(frozen=True)
class AgentRow:
    membership: Membership
    name: str
    profile: AgentProfile | None


def agent_rows() -> list[AgentRow]:
    profiles = {p.membership_id: p for p in AgentProfile.objects.all()}
    return sorted(
        (
            AgentRow(m, member_name(m), profiles.get(m.pk))
            for m in Membership.objects.select_related("user").filter(
                is_active=True, role__in=ROUTABLE_ROLES
            )
        ),
        key=lambda row: row.name.lower(),
    )


def notifications_for(membership: Membership | None, *, limit: int = 50) -> list[Notification]:
    if membership is None:
        return []
    return list(
        Notification.objects.filter(recipient=membership)
        .select_related("location")
        .order_by("-created_at", "-id")[:limit]
    )


def unread_count(membership: Membership | None) -> int:
    if membership is None:
        return 0
    return Notification.objects.filter(recipient=membership, read_at__isnull=True).count()


def open_callbacks(location: Location | None = None) -> QuerySet[CallbackRequest]:
    queryset = CallbackRequest.objects.filter(status=CallbackRequest.Status.OPEN)
    if location is not None:
        queryset = queryset.filter(location=location)
    return queryset.select_related("location").order_by("-requested_at")


def location_choices(exclude: Location | None = None) -> list[tuple[Any, str]]:
    queryset = Location.objects.filter(is_active=True).order_by("name")
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return [(loc.pk, loc.name) for loc in queryset]
