"""The document's defaults, limits, and the facts validation needs from outside it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import holidays as holidays_lib

from routing.config import (
    MINUTES_PER_DAY,
    Agent,
)

Errors = dict[str, list[str]]

SCHEMA_VERSION = 1

MAX_PERIODS = 100

MAX_TIERS = 10

MAX_CLOSED_DATES = 400

EARLIEST_DATE = date(2000, 1, 1)

FUTURE_YEARS = 10

RING_TIMEOUT_RANGE = (5, 120)

MAX_OVERFLOW_WAIT_SECONDS = 3600

MAX_QUEUE_DEPTH = 500

MAX_MESSAGE_LENGTH = 500

DEFAULT_CLOSED_MESSAGE = (
    "Thank you for calling. We are closed right now. Please leave a message after the tone "
    "and we will call you back."
)

_TIME = re.compile(r"^(?P<h>[0-9]{2}):(?P<m>[0-9]{2})$")


@dataclass(frozen=True)
class TeamInfo:
    """A team as routing sees it: its members that have a dial target, in ring order."""

    id: int
    name: str
    member_count: int
    agents: tuple[Agent, ...] = ()


@dataclass(frozen=True)
class ValidationContext:
    """What validation needs to know beyond the document itself."""

    location_id: int
    today: date
    location_phone: str = ""
    teams: Mapping[int, TeamInfo] = field(default_factory=dict)
    # The organisation's other locations (id → name) and where each overflows to in its
    # published rules, to find overflow loops that pass through several locations.
    locations: Mapping[int, str] = field(default_factory=dict)
    overflow_edges: Mapping[int, int | None] = field(default_factory=dict)
    published_locations: frozenset[int] = frozenset()


def default_document(*, time_zone: str, country: str = "") -> dict[str, Any]:
    """The rules a location starts with: weekdays 09:00–17:00, voicemail after hours."""
    return {
        "schema": SCHEMA_VERSION,
        "time_zone": time_zone,
        "periods": [{"day": day, "start": "09:00", "end": "17:00"} for day in range(5)],
        "holidays": {
            "country": country if country in supported_countries() else "",
            "subdivision": "",
            "closed_dates": [],
        },
        "tiers": [],
        "overflow": {
            "max_wait_seconds": 120,
            "max_queue_depth": None,
            "when_no_agent_available": False,
            "callback_offer": False,
            "hold_audio_url": "",
            "target": {"kind": "voicemail", "name": "", "number": "", "location_id": None},
        },
        "after_hours": {
            "action": "voicemail",
            "message": DEFAULT_CLOSED_MESSAGE,
            "name": "",
            "number": "",
        },
        "alerts": {"max_wait_seconds": 300, "abandonment_percent": 20, "min_calls": 5},
    }


@cache
def supported_countries() -> dict[str, str]:
    """ISO country code → English name, for every country the holidays library knows."""
    names: dict[str, str] = {}
    for code in holidays_lib.list_supported_countries(include_aliases=False):
        cls = type(holidays_lib.country_holidays(code))
        base = cls.__mro__[1].__name__ if cls.__name__ == code else cls.__name__
        names[code] = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base)
    return dict(sorted(names.items(), key=lambda item: item[1]))


@cache
def subdivisions_of(country: str) -> tuple[str, ...]:
    if country not in supported_countries():
        return ()
    return tuple(holidays_lib.country_holidays(country).subdivisions)


def parse_minutes(value: Any, *, allow_end_of_day: bool = False) -> int | None:
    """``"HH:MM"`` as minutes after midnight; ``"24:00"`` only for an end."""
    if not isinstance(value, str):
        return None
    match = _TIME.match(value)
    if not match:
        return None
    hours, minutes = int(match["h"]), int(match["m"])
    total = hours * 60 + minutes
    if minutes >= 60 or total > MINUTES_PER_DAY:
        return None
    if total == MINUTES_PER_DAY and not allow_end_of_day:
        return None
    return total
