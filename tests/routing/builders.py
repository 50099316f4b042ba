"""Building routing documents and compiled configs for tests, without the database."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from routing.config import Agent, RoutingConfig
from routing.document import (
    TeamInfo,
    ValidationContext,
    clean_document,
    compile_snapshot,
    default_document,
    snapshot,
)
from routing.engine import Decision, Dial

FRONTLINE = TeamInfo(
    1,
    "Frontline",
    3,
    (
        Agent(11, "Ann", number="+12125550111"),
        Agent(12, "Bob", number="+12125550112"),
        Agent(13, "Cat", client="cat-browser"),
    ),
)
SPECIALISTS = TeamInfo(2, "Specialists", 1, (Agent(21, "Dee", number="+12125550121"),))
EMPTY = TeamInfo(3, "Nobody", 0, ())
TEAMS = {team.id: team for team in (FRONTLINE, SPECIALISTS, EMPTY)}
LOCATION_ID = 100
BACKUP: dict[str, Any] = {
    "kind": "number",
    "name": "Backup Answering",
    "number": "+13125550199",
    "location_id": None,
}


def context(**overrides: Any) -> ValidationContext:
    values: dict[str, Any] = {
        "location_id": LOCATION_ID,
        "today": date(2026, 6, 1),
        "location_phone": "+12125550100",
        "teams": TEAMS,
        "locations": {101: "Denver Office", 102: "Phoenix Clinic"},
        "overflow_edges": {},
        "published_locations": frozenset({101, 102}),
    }
    values.update(overrides)
    return ValidationContext(**values)


def tier(team_id: int | None = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "team",
        "name": "",
        "team_id": team_id,
        "number": "",
        "strategy": "in_order",
        "ring_timeout_seconds": 20,
        "move_on": ["no_answer", "busy", "no_agent_available"],
        **overrides,
    }


def document(**sections: Any) -> dict[str, Any]:
    """A valid document: weekdays 09:00–12:00 and 13:00–17:00 in New York, Frontline then
    Specialists, overflow after 90 s to Backup Answering, voicemail after hours."""
    doc = default_document(time_zone="America/New_York", country="US")
    doc["holidays"]["country"] = "US"
    doc["periods"] = [
        {"day": day, "start": start, "end": end}
        for day in range(5)
        for start, end in (("09:00", "12:00"), ("13:00", "17:00"))
    ]
    doc["tiers"] = [tier(1), tier(2)]
    doc["overflow"] = {
        **doc["overflow"],
        "max_wait_seconds": 90,
        "target": dict(BACKUP),
    }
    for key, value in sections.items():
        doc[key] = copy.deepcopy(value)
    return doc


def compile_document(doc: dict[str, Any], **kwargs: Any) -> RoutingConfig:
    cleaned, errors = clean_document(doc, context(), for_publish=True)
    assert errors == {}, errors
    data = snapshot(cleaned, location_id=LOCATION_ID, location_name="New York Office", teams=TEAMS)
    return compile_snapshot(data, version_id=7, version_number=3, **kwargs)


def first_dial(decision: Decision) -> Dial:
    """The decision's first action, which the test expects to be a dial."""
    action = decision.actions[0]
    assert isinstance(action, Dial), action
    return action
