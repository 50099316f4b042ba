"""Reading a raw document into its canonical form, with every error by field path."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from datetime import date
from typing import Any

from routing.config import (
    DAY_NAMES,
    AfterHoursAction,
    MoveOn,
    OverflowTargetKind,
    Period,
    RingStrategy,
    TierKind,
    minutes_label,
)
from routing.document.checker import FieldChecker
from routing.document.schema import (
    EARLIEST_DATE,
    FUTURE_YEARS,
    MAX_CLOSED_DATES,
    MAX_MESSAGE_LENGTH,
    MAX_OVERFLOW_WAIT_SECONDS,
    MAX_PERIODS,
    MAX_QUEUE_DEPTH,
    MAX_TIERS,
    RING_TIMEOUT_RANGE,
    SCHEMA_VERSION,
    Errors,
    ValidationContext,
    parse_minutes,
    subdivisions_of,
    supported_countries,
)


def clean_document(
    raw: Any, ctx: ValidationContext, *, for_publish: bool = False
) -> tuple[dict[str, Any], Errors]:
    """Read ``raw`` into the canonical document and the errors found, by field path.

    ``for_publish`` adds the whole-week check that every open hour has someone to ring
    and that an overflow to another location reaches published rules.
    """
    check = FieldChecker()
    if not isinstance(raw, Mapping):
        return {}, {"non_field_errors": ["Expected a JSON object with the routing rules."]}
    doc: dict[str, Any] = {"schema": SCHEMA_VERSION}
    doc["time_zone"] = _clean_time_zone(raw, check)
    doc["periods"] = _clean_periods(raw, check)
    doc["holidays"] = _clean_holidays(raw, check, ctx)
    doc["tiers"] = _clean_tiers(raw, check, ctx)
    doc["overflow"] = _clean_overflow(raw, check, ctx)
    doc["after_hours"] = _clean_after_hours(raw, check, ctx)
    doc["alerts"] = _clean_alerts(raw, check)
    if for_publish and not check.errors:
        _check_reachable(doc, check, ctx)
    return doc, check.errors


def _clean_time_zone(raw: Mapping[str, Any], check: FieldChecker) -> str:
    value = raw.get("time_zone")
    if not isinstance(value, str) or value not in zoneinfo.available_timezones():
        shown = value if isinstance(value, str) and len(value) < 80 else "this"
        check.add(
            "time_zone",
            f"{shown!s} is not a known time zone; use an IANA name such as America/New_York.",
        )
        return "UTC"
    return value


def _clean_periods(raw: Mapping[str, Any], check: FieldChecker) -> list[dict[str, Any]]:
    value = raw.get("periods", [])
    if not isinstance(value, list):
        check.add("periods", "Expected a list of open periods.")
        return []
    if len(value) > MAX_PERIODS:
        check.add("periods", f"At most {MAX_PERIODS} open periods.")
        return []
    cleaned: list[tuple[int, dict[str, Any], Period | None]] = []
    for index, item in enumerate(value):
        path = f"periods.{index}"
        if not isinstance(item, Mapping):
            check.add(path, "Expected an object with day, start and end.")
            continue
        day = item.get("day")
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            check.add(f"{path}.day", "Choose a day from 0 (Monday) to 6 (Sunday).")
            continue
        start = parse_minutes(item.get("start"))
        end = parse_minutes(item.get("end"), allow_end_of_day=True)
        if start is None:
            check.add(f"{path}.start", "Enter a time as HH:MM, from 00:00 to 23:59.")
        if end is None:
            check.add(f"{path}.end", "Enter a time as HH:MM, from 00:01 to 24:00.")
        period = None
        if start is not None and end is not None:
            if end <= start:
                check.add(
                    f"{path}.end",
                    f"The period ends ({minutes_label(end)}) before it starts "
                    f"({minutes_label(start)}); split a period that crosses midnight in two "
                    "(…–24:00 and 00:00–…).",
                )
            else:
                period = Period(day, start, end)
        entry = {"day": day, "start": item.get("start"), "end": item.get("end")}
        cleaned.append((index, entry, period))
    by_day: dict[int, list[tuple[int, Period]]] = {}
    for index, _entry, period in cleaned:
        if period is not None:
            by_day.setdefault(period.day, []).append((index, period))
    for periods in by_day.values():
        periods.sort(key=lambda pair: (pair[1].start, pair[1].end))
        # Compared with the period reaching furthest so far, not only the one before:
        # 09:00–17:00 overlaps 12:00–13:00 even with 10:00–11:00 between them.
        furthest = periods[0][1]
        for index, current in periods[1:]:
            if current.start < furthest.end:
                check.add(
                    f"periods.{index}.start",
                    f"Overlaps {DAY_NAMES[current.day]} {furthest.label}.",
                )
            if current.end > furthest.end:
                furthest = current
    entries = [entry for _, entry, _ in cleaned]
    entries.sort(key=lambda e: (e["day"], str(e["start"]), str(e["end"])))
    return entries


def _clean_holidays(
    raw: Mapping[str, Any], check: FieldChecker, ctx: ValidationContext
) -> dict[str, Any]:
    section = check.section(raw, "holidays")
    country = section.get("country") or ""
    if not isinstance(country, str) or (country and country not in supported_countries()):
        check.add("holidays.country", "Choose a country from the list (ISO code such as US).")
        country = ""
    subdivision = section.get("subdivision") or ""
    if not isinstance(subdivision, str) or (
        subdivision and subdivision not in subdivisions_of(country)
    ):
        check.add(
            "holidays.subdivision",
            "Choose a region of the country"
            + (f": one of {', '.join(subdivisions_of(country)[:12])}…" if country else "")
            + ".",
        )
        subdivision = ""
    dates = section.get("closed_dates", [])
    cleaned: list[dict[str, str]] = []
    if not isinstance(dates, list) or len(dates) > MAX_CLOSED_DATES:
        check.add("holidays.closed_dates", f"Expected a list of at most {MAX_CLOSED_DATES} dates.")
        dates = []
    latest = date(min(ctx.today.year + FUTURE_YEARS, 9999), 12, 31)
    seen: set[date] = set()
    for index, item in enumerate(dates):
        path = f"holidays.closed_dates.{index}"
        if not isinstance(item, Mapping):
            check.add(path, "Expected an object with date and label.")
            continue
        try:
            day = date.fromisoformat(str(item.get("date")))
        except ValueError:
            check.add(f"{path}.date", "Enter a date as YYYY-MM-DD.")
            continue
        if not EARLIEST_DATE <= day <= latest:
            check.add(
                f"{path}.date",
                f"Choose a date between {EARLIEST_DATE.year} and {latest.year}.",
            )
            continue
        if day in seen:
            check.add(f"{path}.date", f"{day.isoformat()} is already a closed date.")
            continue
        seen.add(day)
        label = check.text(item, "label", f"{path}.label", max_length=100, required=False)
        cleaned.append({"date": day.isoformat(), "label": label or "Closed"})
    cleaned.sort(key=lambda item: item["date"])
    return {"country": country, "subdivision": subdivision, "closed_dates": cleaned}


def _clean_tiers(
    raw: Mapping[str, Any], check: FieldChecker, ctx: ValidationContext
) -> list[dict[str, Any]]:
    value = raw.get("tiers", [])
    if not isinstance(value, list):
        check.add("tiers", "Expected a list of tiers.")
        return []
    if len(value) > MAX_TIERS:
        check.add("tiers", f"At most {MAX_TIERS} tiers.")
        return []
    tiers: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        path = f"tiers.{index}"
        if not isinstance(item, Mapping):
            check.add(path, "Expected an object describing the tier.")
            continue
        kind = check.choice(item, "kind", f"{path}.kind", [k.value for k in TierKind], "team")
        tier: dict[str, Any] = {
            "kind": kind,
            "name": check.text(item, "name", f"{path}.name", max_length=60, required=False),
            "team_id": None,
            "number": "",
            "strategy": check.choice(
                item, "strategy", f"{path}.strategy", [s.value for s in RingStrategy], "in_order"
            ),
            "ring_timeout_seconds": check.integer(
                item,
                "ring_timeout_seconds",
                f"{path}.ring_timeout_seconds",
                low=RING_TIMEOUT_RANGE[0],
                high=RING_TIMEOUT_RANGE[1],
                default=20,
            ),
            "move_on": _clean_move_on(item, check, path),
        }
        if kind == TierKind.TEAM:
            team_id = item.get("team_id")
            team = ctx.teams.get(team_id) if isinstance(team_id, int) else None
            if team is None or isinstance(team_id, bool):
                check.add(f"{path}.team_id", "Choose one of the organisation's teams.")
            else:
                tier["team_id"] = team.id
                if team.member_count == 0:
                    check.add(
                        f"{path}.team_id",
                        f"{team.name} has no members: add members to the team or choose another.",
                    )
                elif not team.agents:
                    check.add(
                        f"{path}.team_id",
                        f"None of {team.name}'s members has a phone number or client identity "
                        "to ring: set them on the routing Agents page.",
                    )
        else:
            tier["number"] = check.number(
                item, "number", f"{path}.number", own_number=ctx.location_phone, required=True
            )
            if not tier["name"]:
                check.add(f"{path}.name", "Name the backup, e.g. Backup Answering.")
        tiers.append(tier)
    return tiers


def _clean_move_on(item: Mapping[str, Any], check: FieldChecker, path: str) -> list[str]:
    value = item.get("move_on", [m.value for m in MoveOn])
    allowed = [m.value for m in MoveOn]
    if not isinstance(value, list) or any(entry not in allowed for entry in value):
        check.add(f"{path}.move_on", f"Choose any of: {', '.join(allowed)}.")
        return allowed
    return [entry for entry in allowed if entry in value]


def _clean_overflow(
    raw: Mapping[str, Any], check: FieldChecker, ctx: ValidationContext
) -> dict[str, Any]:
    section = check.section(raw, "overflow")
    positive = "Must be greater than 0; leave it empty to turn this rule off."
    result: dict[str, Any] = {
        "max_wait_seconds": check.integer(
            section,
            "max_wait_seconds",
            "overflow.max_wait_seconds",
            low=1,
            high=MAX_OVERFLOW_WAIT_SECONDS,
            nullable=True,
            low_message=positive,
        ),
        "max_queue_depth": check.integer(
            section,
            "max_queue_depth",
            "overflow.max_queue_depth",
            low=1,
            high=MAX_QUEUE_DEPTH,
            nullable=True,
            low_message=positive,
        ),
        "when_no_agent_available": check.boolean(
            section, "when_no_agent_available", "overflow.when_no_agent_available"
        ),
        "callback_offer": check.boolean(section, "callback_offer", "overflow.callback_offer"),
        "hold_audio_url": _clean_url(section, check),
    }
    target_raw = section.get("target", {})
    if not isinstance(target_raw, Mapping):
        check.add("overflow.target", "Expected an object.")
        target_raw = {}
    kind = check.choice(
        target_raw,
        "kind",
        "overflow.target.kind",
        [k.value for k in OverflowTargetKind],
        "voicemail",
    )
    target: dict[str, Any] = {"kind": kind, "name": "", "number": "", "location_id": None}
    if kind == OverflowTargetKind.NUMBER:
        target["number"] = check.number(
            target_raw,
            "number",
            "overflow.target.number",
            own_number=ctx.location_phone,
            required=True,
        )
        target["name"] = check.text(
            target_raw, "name", "overflow.target.name", max_length=60, required=True
        )
    elif kind == OverflowTargetKind.LOCATION:
        location_id = target_raw.get("location_id")
        if location_id == ctx.location_id:
            check.add(
                "overflow.target.location_id",
                "Overflow to this location's own queue would loop back to the same queue.",
            )
        elif (
            isinstance(location_id, bool)
            or not isinstance(location_id, int)
            or location_id not in ctx.locations
        ):
            check.add(
                "overflow.target.location_id", "Choose another of the organisation's locations."
            )
        else:
            loop = _overflow_loop(ctx, location_id)
            if loop:
                check.add(
                    "overflow.target.location_id",
                    "This overflow loops back to this location: " + " → ".join(loop) + ".",
                )
            target["location_id"] = location_id
            target["name"] = ctx.locations[location_id]
    result["target"] = target
    return result


def _overflow_loop(ctx: ValidationContext, first: int) -> list[str]:
    """The chain of location names if following published overflows from ``first`` comes
    back to this location; empty when it ends elsewhere."""
    names = {**ctx.locations}
    chain = [ctx.location_id, first]
    current: int | None = first
    seen = {ctx.location_id}
    while current is not None and current not in seen:
        seen.add(current)
        current = ctx.overflow_edges.get(current)
        if current is not None:
            chain.append(current)
    if current == ctx.location_id:
        return [names.get(location, "this location") for location in chain]
    return []


def _clean_url(section: Mapping[str, Any], check: FieldChecker) -> str:
    value = check.text(
        section, "hold_audio_url", "overflow.hold_audio_url", max_length=500, required=False
    )
    if value and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
        check.add("overflow.hold_audio_url", "Enter an http(s) address of an audio file.")
        return ""
    return value


def _clean_after_hours(
    raw: Mapping[str, Any], check: FieldChecker, ctx: ValidationContext
) -> dict[str, Any]:
    section = check.section(raw, "after_hours")
    action = check.choice(
        section,
        "action",
        "after_hours.action",
        [a.value for a in AfterHoursAction],
        "voicemail",
    )
    result: dict[str, Any] = {
        "action": action,
        "message": check.text(
            section,
            "message",
            "after_hours.message",
            max_length=MAX_MESSAGE_LENGTH,
            required=action == AfterHoursAction.MESSAGE,
        ),
        "name": check.text(section, "name", "after_hours.name", max_length=60, required=False),
        "number": "",
    }
    if action == AfterHoursAction.FORWARD:
        result["number"] = check.number(
            section,
            "number",
            "after_hours.number",
            own_number=ctx.location_phone,
            required=True,
        )
    return result


def _clean_alerts(raw: Mapping[str, Any], check: FieldChecker) -> dict[str, Any]:
    section = check.section(raw, "alerts")
    positive = "Must be greater than 0; leave it empty to turn this alert off."
    return {
        "max_wait_seconds": check.integer(
            section,
            "max_wait_seconds",
            "alerts.max_wait_seconds",
            low=1,
            high=86_400,
            nullable=True,
            low_message=positive,
        ),
        "abandonment_percent": check.integer(
            section,
            "abandonment_percent",
            "alerts.abandonment_percent",
            low=1,
            high=100,
            nullable=True,
            low_message=positive,
        ),
        "min_calls": check.integer(
            section,
            "min_calls",
            "alerts.min_calls",
            low=1,
            high=10_000,
            default=5,
            low_message="Must be greater than 0.",
        ),
    }


def _check_reachable(doc: dict[str, Any], check: FieldChecker, ctx: ValidationContext) -> None:
    """Every hour of the week must lead somewhere: open hours need a tier that can ring
    someone; closed hours have the after-hours behaviour, which is always complete once
    its fields are valid."""
    open_days = sorted({period["day"] for period in doc["periods"]})
    if open_days and not doc["tiers"]:
        first = doc["periods"][0]
        check.add(
            "tiers",
            f"Nobody answers while open (e.g. {DAY_NAMES[first['day']]} "
            f"{first['start']}–{first['end']}): add a tier.",
        )
    target = doc["overflow"]["target"]
    if (
        target["kind"] == OverflowTargetKind.LOCATION
        and target["location_id"] not in ctx.published_locations
    ):
        check.add(
            "overflow.target.location_id",
            f"{target['name']} has no published routing yet: publish it first.",
        )
