"""Reads for the agent's workspace: the live calls of the agent's locations, their intakes in
progress, the approved scripts a location may use, and a caller's history. Call inside a
tenant context.

Calls and texts are read through telephony's models (``telephony.models``), never joined
with intake's tables: an intake keeps its call by id. The encrypted answer columns are never
loaded by these lists (``only``), so a list never decrypts a caller's answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from intake.models import (
    Case,
    Intake,
    IntakeStatus,
    Lead,
    ScriptLocation,
    ScriptVersion,
    VersionStatus,
)
from routing.config import TierKind
from routing.models import LocationRouting
from telephony.models import Call, Contact, Message
from telephony.statuses import CallStatus
from tenancy.models import Location, Organization, TeamMember
from tenancy.resolution import Tenant
from tenancy.roles import Role

HISTORY_LIMIT = 10
# Calls still "ringing" after this long lost their last callbacks: not shown as live.
LIVE_WINDOW = timedelta(hours=3)
LIVE_STATUSES = (CallStatus.QUEUED, CallStatus.RINGING, CallStatus.IN_PROGRESS)
# Roles that see every location's calls (the others see the locations their teams answer).
ALL_LOCATION_ROLES = frozenset({Role.OWNER, Role.SUPERVISOR})

# The columns a list of intakes needs: never the encrypted answers.
INTAKE_LIST_COLUMNS = (
    "id",
    "script_version_id",
    "location_id",
    "channel",
    "call_id",
    "caller_phone",
    "caller_name",
    "agent_id",
    "status",
    "urgent",
    "disposition",
    "started_at",
    "updated_at",
    "completed_at",
)


def zone_of(location: Location | None, organization: Organization) -> ZoneInfo:
    """The location's time zone, or the organisation's when there is no location."""
    name = (location.time_zone if location is not None else "") or organization.time_zone
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime | None, zone: ZoneInfo, *, with_date: bool = True) -> str:
    """``moment`` on the zone's wall clock with the zone's abbreviation: "2 Dec 2026, 09:41
    EST" (or "09:41 EST"); empty for ``None``."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    text = f"{local.day} {local:%b %Y}, {local:%H:%M}" if with_date else f"{local:%H:%M}"
    return f"{text} {local.tzname()}"


# The agent's locations -------------------------------------------------------------------


def agent_location_ids(tenant: Tenant) -> set[int] | None:
    """The locations whose calls ``tenant`` answers: every location (``None``) for owners,
    supervisors and API keys; for anyone else, the locations whose published routing rings
    one of their teams."""
    membership = tenant.membership
    if membership is None or tenant.role in ALL_LOCATION_ROLES:
        return None
    team_ids = set(
        TeamMember.objects.filter(membership=membership).values_list("team_id", flat=True)
    )
    if not team_ids:
        return set()
    found: set[int] = set()
    rows = LocationRouting.objects.filter(published_version__isnull=False).values_list(
        "location_id", "published_version__rules"
    )
    for location_id, rules in rows:
        for tier in (rules or {}).get("tiers", []):
            if tier.get("kind") == TierKind.TEAM and tier.get("team_id") in team_ids:
                found.add(location_id)
                break
    return found


def agent_locations(tenant: Tenant) -> list[Location]:
    ids = agent_location_ids(tenant)
    queryset = Location.objects.filter(is_active=True).order_by("name")
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return list(queryset)


# Live calls ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRow:
    call: Call
    caller: str
    caller_name: str
    status_label: str
    since: str
    location_name: str
    intake_id: int | None


def _calls(location_ids: set[int] | None) -> QuerySet[Call]:
    queryset = Call.objects.select_related("location", "contact").only(
        "id",
        "status",
        "direction",
        "started_at",
        "answered_at",
        "outcome",
        "location__name",
        "location__time_zone",
        "contact__e164",
        "contact__name",
    )
    if location_ids is not None:
        queryset = queryset.filter(location_id__in=location_ids)
    return queryset


def live_call_rows(
    tenant: Tenant, *, now: datetime | None = None, location_ids: set[int] | None = None
) -> tuple[list[CallRow], list[CallRow]]:
    """Calls ringing or in progress at the agent's locations, and the calls answered there
    today (the organisation's day), each with the agent's intake for it if there is one.
    Three queries: the calls of each list and the intakes opened from them."""
    now = now or timezone.now()
    if location_ids is None:
        location_ids = agent_location_ids(tenant)
    if location_ids is not None and not location_ids:
        return [], []
    org = tenant.organization
    org_zone = zone_of(None, org)
    start_of_day = now.astimezone(org_zone).replace(hour=0, minute=0, second=0, microsecond=0)
    live = list(
        _calls(location_ids)
        .filter(
            status__in=LIVE_STATUSES,
            ended_at__isnull=True,
            direction="inbound",
            started_at__gte=now - LIVE_WINDOW,
        )
        .order_by("started_at", "id")[:50]
    )
    answered = list(
        _calls(location_ids)
        .filter(answered_at__gte=start_of_day, direction="inbound")
        .exclude(pk__in=[c.pk for c in live])
        .order_by("-answered_at", "-id")[:50]
    )
    call_ids = [c.pk for c in (*live, *answered)]
    intakes: dict[int, int] = {}
    if call_ids:
        mine = Intake.objects.filter(call_id__in=call_ids)
        if tenant.membership is not None:
            mine = mine.filter(agent=tenant.membership)
        for call_id, intake_id in mine.order_by("started_at").values_list("call_id", "id"):
            intakes[call_id] = intake_id

    def row(call: Call, moment: datetime | None) -> CallRow:
        zone = zone_of(call.location, org)
        contact = call.contact
        return CallRow(
            call=call,
            caller=contact.e164 if contact else "Unknown number",
            caller_name=contact.name if contact else "",
            status_label=CallStatus(call.status).label
            if call.status in CallStatus.values
            else call.status,
            since=local_time(moment, zone, with_date=False),
            location_name=call.location.name if call.location else "No location",
            intake_id=intakes.get(call.pk),
        )

    return (
        [row(c, c.answered_at or c.started_at) for c in live],
        [row(c, c.answered_at) for c in answered],
    )


def intakes_in_progress(tenant: Tenant, *, limit: int = 50) -> list[Intake]:
    """The member's drafts, newest first (every draft of the organisation for an API key)."""
    queryset = Intake.objects.filter(status=IntakeStatus.DRAFT)
    if tenant.membership is not None:
        queryset = queryset.filter(agent=tenant.membership)
    return list(
        queryset.select_related("script_version__script")
        .only(*INTAKE_LIST_COLUMNS, "script_version__number", "script_version__script__name")
        .order_by("-updated_at")[:limit]
    )


# Scripts ---------------------------------------------------------------------------------


def approved_versions_for(location: Location | None) -> list[ScriptVersion]:
    """The approved script versions agents may use at ``location``: scripts limited to no
    location, or to this one. The scripts area's selector when it exists."""
    try:
        scripts = import_module("intake.selectors.scripts")
        theirs = scripts.approved_versions_for
    except (ImportError, AttributeError):
        theirs = None
    if theirs is not None and location is not None:
        return list(theirs(location))
    queryset = ScriptVersion.objects.filter(status=VersionStatus.APPROVED).select_related("script")
    if location is not None:
        limited = ScriptLocation.objects.values("script_id")
        here = ScriptLocation.objects.filter(location=location).values("script_id")
        queryset = queryset.filter(~Q(script_id__in=limited) | Q(script_id__in=here))
    return sorted(queryset, key=lambda v: v.script.name.lower())


def scripts_by_location(location_ids: set[int]) -> dict[int, list[ScriptVersion]]:
    """For each of ``location_ids``, the approved versions agents may use there, by script
    name; two queries whatever the number of locations (the calls list polls this)."""
    versions = sorted(
        ScriptVersion.objects.filter(status=VersionStatus.APPROVED).select_related("script"),
        key=lambda v: v.script.name.lower(),
    )
    limits: dict[int, set[int]] = {}
    for script_id, location_id in ScriptLocation.objects.values_list("script_id", "location_id"):
        limits.setdefault(script_id, set()).add(location_id)
    return {
        location_id: [
            v for v in versions if v.script_id not in limits or location_id in limits[v.script_id]
        ]
        for location_id in location_ids
    }


def version_allowed_at(version: ScriptVersion, location: Location | None) -> bool:
    if version.status != VersionStatus.APPROVED:
        return False
    if location is None:
        return True
    limits = set(
        ScriptLocation.objects.filter(script_id=version.script_id).values_list(
            "location_id", flat=True
        )
    )
    return not limits or location.pk in limits


# Caller history --------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryItem:
    when: str
    title: str
    detail: str
    url_intake_id: int | None = None


@dataclass(frozen=True)
class CallerHistory:
    phone: str
    zone_name: str
    calls: list[HistoryItem]
    texts: list[HistoryItem]
    intakes: list[HistoryItem]
    leads: list[HistoryItem]
    cases: list[HistoryItem]

    @property
    def is_empty(self) -> bool:
        return not (self.calls or self.texts or self.intakes or self.leads or self.cases)

    def as_json(self) -> dict[str, Any]:
        def items(rows: list[HistoryItem]) -> list[dict[str, Any]]:
            return [
                {"when": r.when, "title": r.title, "detail": r.detail, "intake_id": r.url_intake_id}
                for r in rows
            ]

        return {
            "phone": self.phone,
            "time_zone": self.zone_name,
            "calls": items(self.calls),
            "texts": items(self.texts),
            "intakes": items(self.intakes),
            "leads": items(self.leads),
            "cases": items(self.cases),
        }


def caller_history(
    phone: str,
    *,
    organization: Organization,
    location: Location | None = None,
    exclude_intake_id: int | None = None,
    exclude_call_id: int | None = None,
) -> CallerHistory:
    """The last ten calls, texts, intakes, leads and cases of ``phone`` (E.164), times on
    the wall clock of ``location`` (else the organisation's), with the zone named; without
    the intake and the call being worked now."""
    zone = zone_of(location, organization)
    empty = CallerHistory(phone, str(zone), [], [], [], [], [])
    if not phone:
        return empty
    contact = Contact.objects.filter(e164=phone).only("id").first()
    calls: list[HistoryItem] = []
    texts: list[HistoryItem] = []
    if contact is not None:
        for call in (
            Call.objects.filter(contact=contact, started_at__isnull=False)
            .exclude(pk=exclude_call_id)
            .select_related("location")
            .only("id", "started_at", "status", "outcome", "direction", "location__name")
            .order_by("-started_at", "-id")[:HISTORY_LIMIT]
        ):
            outcome = call.get_outcome_display() if call.outcome else call.get_status_display()
            where = call.location.name if call.location else ""
            calls.append(
                HistoryItem(
                    local_time(call.started_at, zone),
                    f"{call.get_direction_display()} call",
                    " · ".join(part for part in (outcome, where) if part),
                )
            )
        for message in (
            Message.objects.filter(contact=contact)
            .only("id", "created_at", "direction", "body")
            .order_by("-created_at", "-id")[:HISTORY_LIMIT]
        ):
            body = message.body if len(message.body) <= 120 else message.body[:119] + "…"
            texts.append(
                HistoryItem(
                    local_time(message.created_at, zone),
                    f"{message.get_direction_display()} text",
                    body,
                )
            )
    intakes = [
        HistoryItem(
            local_time(intake.started_at, zone),
            intake.script_version.script.name,
            " · ".join(
                part
                for part in (
                    intake.get_status_display(),
                    intake.get_disposition_display() if intake.disposition else "",
                    intake.get_channel_display(),
                )
                if part
            ),
            intake.pk,
        )
        for intake in Intake.objects.filter(caller_phone=phone)
        .exclude(pk=exclude_intake_id)
        .select_related("script_version__script")
        .only(*INTAKE_LIST_COLUMNS, "script_version__script__name")
        .order_by("-started_at", "-id")[:HISTORY_LIMIT]
    ]
    leads = [
        HistoryItem(
            local_time(lead.created_at, zone),
            f"Lead: {lead.get_status_display()}",
            lead.next_step,
        )
        for lead in Lead.objects.filter(phone=phone)
        .only("id", "created_at", "status", "next_step")
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    ]
    cases = [
        HistoryItem(
            local_time(case.created_at, zone),
            case.subject,
            " · ".join((case.get_category_display(), case.get_status_display())),
        )
        for case in Case.objects.filter(contact_phone=phone)
        .only("id", "created_at", "subject", "category", "status")
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    ]
    return CallerHistory(phone, str(zone), calls, texts, intakes, leads, cases)


def intake_for_work() -> QuerySet[Intake]:
    """Intakes with what their page shows beside the answers, for ``tenant_page(objects=…)``."""
    return Intake.objects.select_related(
        "script_version__script", "location", "agent__user", "organization"
    )


def has_urgent_case(intake: Intake) -> bool:
    return Case.objects.filter(intake=intake, priority="urgent").exists()


def call_for_intake(call_id: int | None) -> Call | None:
    if call_id is None:
        return None
    return Call.objects.select_related("contact", "location").filter(pk=call_id).first()
