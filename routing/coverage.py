"""The 24 × 7 coverage grid: for each hour of the week, who answers a call.

Built from the same compiled configuration the engine uses, in the location's wall-clock
time. A cell is ``person`` when a person answers (a tier, a backup number, an on-call
forward), ``voicemail`` when a machine takes a message, and ``uncovered`` when nobody and
nothing does (a closed message only, or open hours with no one to ring).
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.config import (
    DAY_NAMES,
    AfterHoursAction,
    OverflowTargetKind,
    RoutingConfig,
    TierKind,
    minutes_label,
)

PERSON = "person"
VOICEMAIL = "voicemail"
UNCOVERED = "uncovered"


@dataclass(frozen=True)
class Cell:
    day: int
    hour: int
    state: str
    label: str
    open_minutes: int
    detail: str

    @property
    def partial(self) -> bool:
        return 0 < self.open_minutes < 60


@dataclass(frozen=True)
class Grid:
    days: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]  # 24 rows (hours), 7 cells (Monday…Sunday)
    uncovered_hours: int
    voicemail_hours: int


def _open_target(config: RoutingConfig) -> tuple[str, str]:
    for tier in config.tiers:
        if tier.kind == TierKind.EXTERNAL or tier.agents:
            return PERSON, tier.name
    target = config.overflow.target
    if target.kind == OverflowTargetKind.VOICEMAIL:
        return VOICEMAIL, "Voicemail"
    return PERSON, target.label


def _closed_target(config: RoutingConfig) -> tuple[str, str]:
    after = config.after_hours
    if after.action == AfterHoursAction.FORWARD:
        return PERSON, after.name or after.number
    if after.action == AfterHoursAction.VOICEMAIL:
        return VOICEMAIL, "Voicemail"
    return UNCOVERED, "Message only"


def coverage_grid(config: RoutingConfig) -> Grid:
    open_state, open_label = _open_target(config)
    closed_state, closed_label = _closed_target(config)
    rows = []
    uncovered = voicemail = 0
    for hour in range(24):
        cells = []
        low, high = hour * 60, hour * 60 + 60
        for day in range(7):
            spans = [
                (max(p.start, low), min(p.end, high))
                for p in config.periods[day]
                if p.start < high and p.end > low
            ]
            minutes = sum(end - start for start, end in spans)
            if minutes == 0:
                state, label = closed_state, closed_label
                detail = f"{DAY_NAMES[day]} {hour:02d}:00–{hour + 1:02d}:00 closed: {label}"
            else:
                state, label = open_state, open_label
                open_text = ", ".join(
                    f"{minutes_label(start)}–{minutes_label(end)}" for start, end in spans
                )
                detail = f"{DAY_NAMES[day]} open {open_text}: {label}"
                if minutes < 60:
                    detail += f"; otherwise {closed_label}"
            if state == UNCOVERED:
                uncovered += 1
            elif state == VOICEMAIL:
                voicemail += 1
            cells.append(Cell(day, hour, state, label, minutes, detail))
        rows.append(tuple(cells))
    return Grid(DAY_NAMES, tuple(rows), uncovered, voicemail)
