"""Reading scripts for the pages and the API, and the approved versions agents may use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from intake.models import Script, ScriptLocation, ScriptVersion, VersionStatus
from tenancy.models import Location, Organization


def approved_versions_for(location: Location | None) -> list[ScriptVersion]:
    """The approved versions an agent may work: scripts for every location, plus, for a
    ``location``, the scripts limited to it. ``None`` (an intake tied to no location) gets
    only the scripts for every location. Ordered by script name; ``version.script`` loaded."""
    limited = ScriptLocation.objects.values("script_id")
    allowed = ~Q(script_id__in=limited)
    if location is not None:
        allowed |= Q(script_id__in=limited.filter(location=location))
    return list(
        ScriptVersion.objects.filter(allowed, status=VersionStatus.APPROVED)
        .select_related("script")
        .order_by("script__name", "script_id")
    )


def scripts() -> QuerySet[Script]:
    return Script.objects.all()


def versions_of(script: Script) -> list[ScriptVersion]:
    """Newest first."""
    return list(ScriptVersion.objects.filter(script=script).order_by("-number"))


def location_ids_of(script: Script) -> list[int]:
    return list(
        ScriptLocation.objects.filter(script=script)
        .order_by("location_id")
        .values_list("location_id", flat=True)
    )


def org_zone(organization: Organization) -> ZoneInfo:
    return ZoneInfo(organization.time_zone or "UTC")


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    """``2 Dec 2026, 14:05 EST``: a moment in ``zone``, the zone named."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


@dataclass(frozen=True)
class ScriptRow:
    script: Script
    approved: ScriptVersion | None
    draft: ScriptVersion | None
    locations: list[str]
    status: str


def status_text(approved: ScriptVersion | None, draft: ScriptVersion | None, zone: ZoneInfo) -> str:
    """``Version 3 approved on 2 Dec 2026, 14:05 EST · draft in progress``."""
    parts = []
    if approved is not None:
        parts.append(f"Version {approved.number} approved on {when(approved.approved_at, zone)}")
    else:
        parts.append("Not approved yet: agents do not see it")
    if draft is not None:
        parts.append("draft in progress")
    return " · ".join(parts)


def script_rows(zone: ZoneInfo) -> list[ScriptRow]:
    """Every script with its approved version, its draft and its locations, for the list."""
    all_scripts = list(Script.objects.order_by("name"))
    versions: dict[tuple[int, str], ScriptVersion] = {}
    for version in ScriptVersion.objects.filter(
        status__in=[VersionStatus.APPROVED, VersionStatus.DRAFT]
    ):
        versions[(version.script_id, version.status)] = version
    names: dict[int, list[str]] = {}
    for link in ScriptLocation.objects.select_related("location").order_by("location__name"):
        names.setdefault(link.script_id, []).append(link.location.name)
    rows = []
    for script in all_scripts:
        approved = versions.get((script.pk, VersionStatus.APPROVED))
        draft = versions.get((script.pk, VersionStatus.DRAFT))
        rows.append(
            ScriptRow(
                script=script,
                approved=approved,
                draft=draft,
                locations=names.get(script.pk, []),
                status=status_text(approved, draft, zone),
            )
        )
    return rows


def location_names(script: Script) -> list[str]:
    return [
        link.location.name
        for link in ScriptLocation.objects.filter(script=script)
        .select_related("location")
        .order_by("location__name")
    ]
