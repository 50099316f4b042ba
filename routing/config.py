"""The compiled, immutable routing configuration the engine decides from.

A published version is stored as JSON (``routing.document``); loading it builds these frozen
objects once per publish, so the call path never parses JSON or touches the database.
Nothing here reads the clock, the database or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays as holidays_lib

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60


class RingStrategy(StrEnum):
    IN_ORDER = "in_order"
    SIMULTANEOUS = "simultaneous"


class MoveOn(StrEnum):
    """When a tier hands the call to the next tier."""

    NO_ANSWER = "no_answer"
    BUSY = "busy"
    NO_AGENT_AVAILABLE = "no_agent_available"


class TierKind(StrEnum):
    TEAM = "team"
    EXTERNAL = "external"


class OverflowTargetKind(StrEnum):
    NUMBER = "number"
    LOCATION = "location"
    VOICEMAIL = "voicemail"


class AfterHoursAction(StrEnum):
    FORWARD = "forward"
    VOICEMAIL = "voicemail"
    MESSAGE = "message"


class PresenceStatus(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    ON_BREAK = "on_break"
    OFFLINE = "offline"


RING_STRATEGY_LABELS = {
    RingStrategy.IN_ORDER: "In order",
    RingStrategy.SIMULTANEOUS: "All at once",
}
MOVE_ON_LABELS = {
    MoveOn.NO_ANSWER: "No answer",
    MoveOn.BUSY: "Busy",
    MoveOn.NO_AGENT_AVAILABLE: "No agent available",
}
AFTER_HOURS_LABELS = {
    AfterHoursAction.FORWARD: "Forward to an answering service or on-call number",
    AfterHoursAction.VOICEMAIL: "Take a voicemail (transcribed)",
    AfterHoursAction.MESSAGE: "Play a message and hang up",
}
OVERFLOW_TARGET_LABELS = {
    OverflowTargetKind.NUMBER: "A backup number (answering service)",
    OverflowTargetKind.LOCATION: "Another location's queue",
    OverflowTargetKind.VOICEMAIL: "Voicemail",
}
PRESENCE_LABELS = {
    PresenceStatus.AVAILABLE: "Available",
    PresenceStatus.BUSY: "Busy",
    PresenceStatus.ON_BREAK: "On break",
    PresenceStatus.OFFLINE: "Offline",
}


def minutes_label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def queue_name_for(location_id: int) -> str:
    """The Twilio queue of a location: one per location, named by its id."""
    return f"location-{location_id}"


@dataclass(frozen=True, slots=True)
class Period:
    """An open period on one weekday, in local wall-clock minutes; ``end`` may be 1440."""

    day: int
    start: int
    end: int

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end

    @property
    def label(self) -> str:
        return f"{minutes_label(self.start)}–{minutes_label(self.end)}"


@dataclass(frozen=True, slots=True)
class Agent:
    """A member a tier rings, with the dial target snapshotted at publish."""

    membership_id: int
    name: str
    number: str = ""
    client: str = ""


@dataclass(frozen=True, slots=True)
class Tier:
    index: int
    name: str
    kind: TierKind
    strategy: RingStrategy
    ring_timeout_seconds: int
    move_on: frozenset[MoveOn]
    agents: tuple[Agent, ...] = ()
    number: str = ""
    team_id: int | None = None

    def available_agents(self, presence: Mapping[int, str]) -> tuple[Agent, ...]:
        return tuple(
            agent
            for agent in self.agents
            if presence.get(agent.membership_id) == PresenceStatus.AVAILABLE
        )


@dataclass(frozen=True, slots=True)
class OverflowTarget:
    kind: OverflowTargetKind
    name: str = ""
    number: str = ""
    location_id: int | None = None

    @property
    def label(self) -> str:
        if self.kind == OverflowTargetKind.VOICEMAIL:
            return "voicemail"
        if self.kind == OverflowTargetKind.LOCATION:
            return f"the queue of {self.name}"
        return self.name or self.number


@dataclass(frozen=True, slots=True)
class Overflow:
    target: OverflowTarget
    max_wait_seconds: int | None = None
    max_queue_depth: int | None = None
    when_no_agent_available: bool = False
    callback_offer: bool = False
    hold_audio_url: str = ""


@dataclass(frozen=True, slots=True)
class AfterHours:
    action: AfterHoursAction
    message: str = ""
    name: str = ""
    number: str = ""

    @property
    def label(self) -> str:
        if self.action == AfterHoursAction.FORWARD:
            return f"forward to {self.name or self.number}"
        if self.action == AfterHoursAction.VOICEMAIL:
            return "voicemail with transcription"
        return "play the closed message"


@dataclass(frozen=True, slots=True)
class Alerts:
    max_wait_seconds: int | None = None
    abandonment_percent: int | None = None
    min_calls: int = 5


@dataclass(frozen=True, slots=True)
class Emergency:
    """A one-click closure: the message callers hear, until ``until`` (aware, UTC)."""

    message: str
    until: datetime


@dataclass
class HolidayCalendar:
    """The organisation's closed dates plus a country's (and region's) public holidays.

    Holidays are computed per year on first use and memoised, so a lookup is a dict read;
    computing them is pure (the ``holidays`` library has no I/O).
    """

    country: str = ""
    subdivision: str = ""
    closed_dates: Mapping[date, str] = field(default_factory=dict)
    _years: dict[int, dict[date, str]] = field(default_factory=dict, repr=False, compare=False)

    def preload(self, years: range) -> HolidayCalendar:
        for year in years:
            self._public(year)
        return self

    def _public(self, year: int) -> dict[date, str]:
        known = self._years.get(year)
        if known is None:
            if not self.country:
                known = {}
            else:
                calendar = holidays_lib.country_holidays(
                    self.country, subdiv=self.subdivision or None, years=year
                )
                known = {day: str(name) for day, name in calendar.items()}
            self._years[year] = known
        return known

    def closed_because(self, day: date) -> str | None:
        """The name of the holiday or closed date on ``day``, or ``None``."""
        label = self.closed_dates.get(day)
        if label is not None:
            return label
        return self._public(day.year).get(day)


@dataclass(frozen=True)
class RoutingConfig:
    """Everything ``engine.decide`` needs about one location, frozen at publish."""

    location_id: int
    location_name: str
    time_zone: ZoneInfo
    periods: tuple[tuple[Period, ...], ...]
    holidays: HolidayCalendar
    tiers: tuple[Tier, ...]
    overflow: Overflow
    after_hours: AfterHours
    alerts: Alerts
    version_id: int | None = None
    version_number: int | None = None
    emergency: Emergency | None = None

    @property
    def queue_name(self) -> str:
        return queue_name_for(self.location_id)

    def with_emergency(self, emergency: Emergency | None) -> RoutingConfig:
        from dataclasses import replace

        return replace(self, emergency=emergency)
