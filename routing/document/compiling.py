"""A valid document as a version snapshot, and the snapshot as the engine's config."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import date
from typing import Any

from routing.config import (
    AfterHours,
    AfterHoursAction,
    Agent,
    Alerts,
    Emergency,
    HolidayCalendar,
    MoveOn,
    Overflow,
    OverflowTarget,
    OverflowTargetKind,
    Period,
    RingStrategy,
    RoutingConfig,
    Tier,
    TierKind,
)
from routing.document.schema import TeamInfo, parse_minutes


def snapshot(
    doc: dict[str, Any],
    *,
    location_id: int,
    location_name: str,
    teams: Mapping[int, TeamInfo],
) -> dict[str, Any]:
    """The self-contained JSON of a published version: the rules plus, for every team they
    ring, its members and dial targets at publish time (so a version is reproducible)."""
    used = {tier["team_id"] for tier in doc["tiers"] if tier["kind"] == TierKind.TEAM}
    return {
        "rules": doc,
        "location": {"id": location_id, "name": location_name},
        "teams": {
            str(team_id): {
                "name": teams[team_id].name,
                "agents": [
                    {
                        "membership_id": agent.membership_id,
                        "name": agent.name,
                        "number": agent.number,
                        "client": agent.client,
                    }
                    for agent in teams[team_id].agents
                ],
            }
            for team_id in sorted(used)
            if team_id in teams
        },
    }


def compile_snapshot(
    data: Mapping[str, Any],
    *,
    version_id: int | None = None,
    version_number: int | None = None,
    emergency: Emergency | None = None,
    holiday_years: range | None = None,
) -> RoutingConfig:
    """Build the engine's frozen configuration from a version's (valid) snapshot."""
    doc = data["rules"]
    teams = data.get("teams", {})
    by_day: list[list[Period]] = [[] for _ in range(7)]
    for entry in doc["periods"]:
        start = parse_minutes(entry["start"])
        end = parse_minutes(entry["end"], allow_end_of_day=True)
        assert start is not None and end is not None
        by_day[entry["day"]].append(Period(entry["day"], start, end))
    tiers = []
    for index, entry in enumerate(doc["tiers"]):
        team = teams.get(str(entry["team_id"])) if entry["kind"] == TierKind.TEAM else None
        agents = tuple(
            Agent(a["membership_id"], a["name"], a.get("number", ""), a.get("client", ""))
            for a in (team["agents"] if team else [])
        )
        tiers.append(
            Tier(
                index=index,
                name=entry["name"] or (team["name"] if team else entry["number"]),
                kind=TierKind(entry["kind"]),
                strategy=RingStrategy(entry["strategy"]),
                ring_timeout_seconds=entry["ring_timeout_seconds"],
                move_on=frozenset(MoveOn(m) for m in entry["move_on"]),
                agents=agents,
                number=entry["number"],
                team_id=entry["team_id"],
            )
        )
    overflow = doc["overflow"]
    target = overflow["target"]
    holidays = doc["holidays"]
    calendar = HolidayCalendar(
        country=holidays["country"],
        subdivision=holidays["subdivision"],
        closed_dates={
            date.fromisoformat(item["date"]): item["label"] for item in holidays["closed_dates"]
        },
    )
    if holiday_years is not None:
        calendar.preload(holiday_years)
    after = doc["after_hours"]
    alerts = doc["alerts"]
    location = data["location"]
    return RoutingConfig(
        location_id=location["id"],
        location_name=location["name"],
        time_zone=zoneinfo.ZoneInfo(doc["time_zone"]),
        periods=tuple(tuple(sorted(day, key=lambda p: p.start)) for day in by_day),
        holidays=calendar,
        tiers=tuple(tiers),
        overflow=Overflow(
            target=OverflowTarget(
                kind=OverflowTargetKind(target["kind"]),
                name=target["name"],
                number=target["number"],
                location_id=target["location_id"],
            ),
            max_wait_seconds=overflow["max_wait_seconds"],
            max_queue_depth=overflow["max_queue_depth"],
            when_no_agent_available=overflow["when_no_agent_available"],
            callback_offer=overflow["callback_offer"],
            hold_audio_url=overflow["hold_audio_url"],
        ),
        after_hours=AfterHours(
            action=AfterHoursAction(after["action"]),
            message=after["message"],
            name=after["name"],
            number=after["number"],
        ),
        alerts=Alerts(
            max_wait_seconds=alerts["max_wait_seconds"],
            abandonment_percent=alerts["abandonment_percent"],
            min_calls=alerts["min_calls"],
        ),
        version_id=version_id,
        version_number=version_number,
        emergency=emergency,
    )
