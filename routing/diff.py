"""Differences between two sets of routing rules, in words a supervisor reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from routing.config import (
    AFTER_HOURS_LABELS,
    DAY_NAMES,
    MOVE_ON_LABELS,
    OVERFLOW_TARGET_LABELS,
    RING_STRATEGY_LABELS,
    AfterHoursAction,
    MoveOn,
    OverflowTargetKind,
    RingStrategy,
)


@dataclass(frozen=True)
class Change:
    section: str
    text: str


def _periods_by_day(doc: Mapping[str, Any]) -> dict[int, str]:
    days: dict[int, list[str]] = {}
    for period in doc.get("periods", []):
        days.setdefault(period["day"], []).append(f"{period['start']}–{period['end']}")
    return {day: ", ".join(sorted(labels)) for day, labels in days.items()}


def _tier_text(tier: Mapping[str, Any], team_names: Mapping[str, str]) -> str:
    if tier.get("kind") == "external":
        who = f"{tier.get('name') or 'Backup'} ({tier.get('number')})"
    else:
        who = tier.get("name") or team_names.get(str(tier.get("team_id")), "a team")
    strategy = RING_STRATEGY_LABELS.get(RingStrategy(tier["strategy"]), tier["strategy"]).lower()
    move_on = ", ".join(MOVE_ON_LABELS[MoveOn(m)].lower() for m in tier.get("move_on", []))
    return f"{who}, {strategy}, {tier['ring_timeout_seconds']} s" + (
        f", moves on when {move_on}" if move_on else ", never moves on"
    )


def _day_names(days: list[int]) -> str:
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
    return ", ".join(DAY_NAMES[day] for day in days)


def _seconds(value: Any) -> str:
    return "off" if value is None else f"{value} s"


def _value(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def _overflow_target(target: Mapping[str, Any]) -> str:
    kind = OverflowTargetKind(target.get("kind", "voicemail"))
    if kind == OverflowTargetKind.NUMBER:
        return f"{target.get('name')} ({target.get('number')})"
    if kind == OverflowTargetKind.LOCATION:
        return f"queue of {target.get('name')}"
    return OVERFLOW_TARGET_LABELS[kind].lower()


def _team_names(snapshot: Mapping[str, Any] | None) -> dict[str, str]:
    return {key: team["name"] for key, team in (snapshot or {}).get("teams", {}).items()}


def rules_diff(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    *,
    before_snapshot: Mapping[str, Any] | None = None,
    after_snapshot: Mapping[str, Any] | None = None,
    team_names: Mapping[str, str] | None = None,
) -> list[Change]:
    """What changed from ``before`` to ``after`` (everything, when ``before`` is None)."""
    if before is None:
        return [Change("Version", "First version: every rule is new.")]
    old = before
    names = {**(team_names or {}), **_team_names(before_snapshot), **_team_names(after_snapshot)}
    changes: list[Change] = []
    if old.get("time_zone") != after.get("time_zone"):
        changes.append(
            Change("Schedule", f"Time zone: {_value(old.get('time_zone'))} → {after['time_zone']}")
        )
    old_days, new_days = _periods_by_day(old), _periods_by_day(after)
    # Days with the same change are named together: "Monday–Friday: … → …".
    groups: dict[tuple[str, str], list[int]] = {}
    for day in range(7):
        was, now = old_days.get(day, "closed"), new_days.get(day, "closed")
        if was != now:
            groups.setdefault((was, now), []).append(day)
    for (was, now), days in groups.items():
        changes.append(Change("Schedule", f"{_day_names(days)}: {was} → {now}"))
    old_h, new_h = old.get("holidays", {}), after.get("holidays", {})
    for key, label in (("country", "Holiday calendar"), ("subdivision", "Holiday region")):
        if old_h.get(key) != new_h.get(key):
            changes.append(
                Change("Holidays", f"{label}: {_value(old_h.get(key))} → {_value(new_h.get(key))}")
            )
    old_dates = {d["date"]: d["label"] for d in old_h.get("closed_dates", [])}
    new_dates = {d["date"]: d["label"] for d in new_h.get("closed_dates", [])}
    for day in sorted(new_dates.keys() - old_dates.keys()):
        changes.append(Change("Holidays", f"Closed date added: {day} ({new_dates[day]})"))
    for day in sorted(old_dates.keys() - new_dates.keys()):
        changes.append(Change("Holidays", f"Closed date removed: {day} ({old_dates[day]})"))
    old_tiers = [_tier_text(t, names) for t in old.get("tiers", [])]
    new_tiers = [_tier_text(t, names) for t in after.get("tiers", [])]
    for index in range(max(len(old_tiers), len(new_tiers))):
        old_tier = old_tiers[index] if index < len(old_tiers) else None
        new_tier = new_tiers[index] if index < len(new_tiers) else None
        if old_tier != new_tier:
            text = f"Tier {index + 1}: {old_tier or 'none'} → {new_tier or 'removed'}"
            changes.append(Change("Tiers", text))
    old_o, new_o = old.get("overflow", {}), after.get("overflow", {})
    for key, label, fmt in (
        ("max_wait_seconds", "Overflow after waiting", _seconds),
        ("max_queue_depth", "Overflow when more than this many wait", _value),
        ("when_no_agent_available", "Overflow when no agent is available", _value),
        ("callback_offer", "Offer a callback", _value),
        ("hold_audio_url", "Hold audio", _value),
    ):
        if old_o.get(key) != new_o.get(key):
            changes.append(
                Change("Overflow", f"{label}: {fmt(old_o.get(key))} → {fmt(new_o[key])}")
            )
    if old_o.get("target") != new_o.get("target"):
        was = _overflow_target(old_o["target"]) if old_o.get("target") else "none"
        changes.append(
            Change("Overflow", f"Overflow target: {was} → {_overflow_target(new_o['target'])}")
        )
    old_a, new_a = old.get("after_hours", {}), after.get("after_hours", {})
    if old_a.get("action") != new_a.get("action"):
        was = AFTER_HOURS_LABELS[AfterHoursAction(old_a["action"])] if old_a else "none"
        changes.append(
            Change(
                "After hours",
                f"After hours: {was} → {AFTER_HOURS_LABELS[AfterHoursAction(new_a['action'])]}",
            )
        )
    for key, label in (
        ("name", "Forward name"),
        ("number", "Forward number"),
        ("message", "Message"),
    ):
        if old_a.get(key) != new_a.get(key) and (old_a.get(key) or new_a.get(key)):
            changes.append(
                Change("After hours", f"{label}: {_value(old_a.get(key))} → {_value(new_a[key])}")
            )
    old_al, new_al = old.get("alerts", {}), after.get("alerts", {})
    for key, label, fmt in (
        ("max_wait_seconds", "Alert when a caller waits over", _seconds),
        ("abandonment_percent", "Alert at abandonment %", _value),
        ("min_calls", "Minimum calls for the abandonment alert", _value),
    ):
        if old_al.get(key) != new_al.get(key):
            changes.append(
                Change("Alerts", f"{label}: {fmt(old_al.get(key))} → {fmt(new_al[key])}")
            )
    changes.extend(_roster_diff(before_snapshot, after_snapshot))
    return changes


def _roster_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    if before is None or after is None:
        return []
    changes = []
    old_teams, new_teams = before.get("teams", {}), after.get("teams", {})
    for key in sorted(old_teams.keys() & new_teams.keys()):
        was = {a["membership_id"]: a["name"] for a in old_teams[key]["agents"]}
        now = {a["membership_id"]: a["name"] for a in new_teams[key]["agents"]}
        added = [now[m] for m in now.keys() - was.keys()]
        removed = [was[m] for m in was.keys() - now.keys()]
        if added or removed:
            parts = [f"+{name}" for name in sorted(added)] + [
                f"−{name}" for name in sorted(removed)
            ]
            changes.append(Change("Tiers", f"{new_teams[key]['name']} members: {', '.join(parts)}"))
    return changes
