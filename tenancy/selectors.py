"""Everything the tenancy screens read. Each function reads inside the tenant in context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from pghistory.models import Events

from tenancy.models import ApiKey, Location, Membership, Organization, Team, TeamMember
from tenancy.roles import Role

User = get_user_model()


@dataclass(frozen=True)
class Overview:
    locations: int
    active_locations: int
    members: int
    teams: int


def organization_overview() -> Overview:
    """Counts for the organisation's home page."""
    locations = Location.objects.aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(is_active=True))
    )
    return Overview(
        locations=locations["total"],
        active_locations=locations["active"],
        members=Membership.objects.filter(is_active=True).count(),
        teams=Team.objects.count(),
    )


def member_list() -> QuerySet[Membership]:
    """Every membership, active or not, by email."""
    return Membership.objects.select_related("user").order_by("user__email")


def member_get(membership_id: int) -> Membership | None:
    return Membership.objects.select_related("user").filter(pk=membership_id).first()


def location_list() -> QuerySet[Location]:
    return Location.objects.order_by("name")


def team_list() -> QuerySet[Team]:
    """Teams with their members in ring order."""
    ordered = TeamMember.objects.select_related("membership__user").order_by("position", "id")
    return Team.objects.order_by("name").prefetch_related(
        Prefetch("teammember_set", queryset=ordered, to_attr="ordered_members")
    )


def team_members(team: Team) -> list[Membership]:
    """The team's memberships in ring order."""
    rows = TeamMember.objects.filter(team=team).select_related("membership__user")
    return [row.membership for row in rows.order_by("position", "id")]


def team_member_candidates(team: Team) -> QuerySet[Membership]:
    """Who may be put on the team: active members, plus anyone already on it (so that
    saving the form never silently drops a deactivated member)."""
    on_team = TeamMember.objects.filter(team=team).values("membership_id")
    return (
        Membership.objects.filter(Q(is_active=True) | Q(pk__in=on_team))
        .select_related("user")
        .order_by("user__email")
    )


def api_key_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at")


# The audit trail -------------------------------------------------------------------------

# Columns that say nothing to a person reading the trail (or that must never be shown).
_HIDDEN_FIELDS = frozenset(
    {"id", "organization_id", "created_at", "digest", "last_used_at", "created_by_id"}
)
_OBJECT_NAMES = {
    "tenancy.Organization": "Organisation",
    "tenancy.Location": "Location",
    "tenancy.Membership": "Member",
    "tenancy.Team": "Team",
    "tenancy.TeamMember": "Team member",
    "tenancy.ApiKey": "API key",
}
_FIELD_LABELS = {
    "user_id": "person",
    "membership_id": "member",
    "team_id": "team",
    "is_active": "active",
    "sms_help_text": "SMS help text",
    "time_zone": "time zone",
    "revoked_at": "revoked",
}
_ACTIONS = {"insert": "Created", "update": "Changed", "delete": "Deleted"}


def _object_type(label: str) -> str:
    """What kind of object an event is about. Every installed event model that points at the
    organisation is read, so later apps' configuration appears here under its model's
    verbose name unless named above."""
    if label in _OBJECT_NAMES:
        return _OBJECT_NAMES[label]
    try:
        return str(apps.get_model(label)._meta.verbose_name).capitalize()
    except LookupError:
        return label


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass
class AuditEntry:
    when: datetime
    who: str
    via: str
    action: str
    object_type: str
    object_name: str
    changes: list[Change] = field(default_factory=list)


def _display(value: Any, lookups: dict[str, dict[int, str]], column: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column == "role" and value in Role.values:
        return str(Role(value).label)
    names = lookups.get(column)
    if names is not None:
        return names.get(value, f"#{value}")
    return str(value)


def _lookups(events: list[Events]) -> dict[str, dict[int, str]]:
    """Names for the ids that events carry (people, members, teams), fetched in one query
    each; rows deleted since show as ``#id``."""
    ids: dict[str, set[int]] = {"user_id": set(), "membership_id": set(), "team_id": set()}
    for event in events:
        for column, found in ids.items():
            value = (event.pgh_data or {}).get(column)
            if isinstance(value, int):
                found.add(value)
    memberships = Membership.objects.filter(pk__in=ids["membership_id"]).select_related("user")
    member_names = {m.pk: m.user.email for m in memberships}
    users = User.objects.filter(pk__in=ids["user_id"] | {m.user_id for m in memberships})
    return {
        "user_id": {user.pk: user.email or user.get_username() for user in users},
        "membership_id": member_names,
        "team_id": dict(Team.objects.filter(pk__in=ids["team_id"]).values_list("pk", "name")),
    }


def _object_name(event: Events, lookups: dict[str, dict[int, str]]) -> str:
    data = event.pgh_data or {}

    def name(column: str, default: str) -> str:
        return lookups[column].get(data.get(column, 0), default)

    if event.pgh_obj_model == "tenancy.Membership":
        return name("user_id", "")
    if event.pgh_obj_model == "tenancy.TeamMember":
        return f"{name('membership_id', 'a member')} in {name('team_id', 'a team')}"
    if event.pgh_obj_model == "tenancy.ApiKey":
        return f"{data.get('name', '')} ({data.get('prefix', '')}…)"
    return str(data.get("name", ""))


def _entry(event: Events, lookups: dict[str, dict[int, str]]) -> AuditEntry | None:
    context = event.pgh_context or {}
    changes = []
    if event.pgh_label == "update":
        for column, (before, after) in sorted((event.pgh_diff or {}).items()):
            if column not in _HIDDEN_FIELDS:
                label = _FIELD_LABELS.get(column, column.replace("_", " "))
                changes.append(
                    Change(
                        label,
                        _display(before, lookups, column),
                        _display(after, lookups, column),
                    )
                )
        if not changes:
            # Only bookkeeping columns moved (an API key's last use): not a configuration
            # change.
            return None
    elif event.pgh_label == "insert":
        for column, value in sorted((event.pgh_data or {}).items()):
            # A new member's person is already the entry's object name.
            redundant = column == "user_id" and event.pgh_obj_model == "tenancy.Membership"
            if column not in _HIDDEN_FIELDS and value not in (None, "") and not redundant:
                label = _FIELD_LABELS.get(column, column.replace("_", " "))
                changes.append(Change(label, "", _display(value, lookups, column)))
    return AuditEntry(
        when=event.pgh_created_at,
        who=str(context.get("actor") or "System"),
        via=str(context.get("via") or "system"),
        action=_ACTIONS.get(event.pgh_label, event.pgh_label.capitalize()),
        object_type=_object_type(event.pgh_obj_model),
        object_name=_object_name(event, lookups),
        changes=changes,
    )


def audit_page(*, organization: Organization, page: int | str | None, per_page: int = 50) -> Page:
    """One page of the organisation's configuration changes, newest first.

    ``references(organization)`` reads every event table with a foreign key to the
    organisation: the tenant tables' events (row-level security keeps them to this
    organisation as well) and the organisation's own events, matched on ``pgh_obj_id``
    because the organisation table is global.
    """
    events = Events.objects.references(organization).order_by("-pgh_created_at", "-pgh_id")
    result = Paginator(events, per_page).get_page(page)
    batch = list(result.object_list)
    lookups = _lookups(batch)
    result.object_list = [e for e in (_entry(event, lookups) for event in batch) if e is not None]
    return result
