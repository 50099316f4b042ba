"""Editing helpers: each returns a new document; validation happens when it is saved."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from routing.config import (
    minutes_label,
)
from routing.document.schema import parse_minutes


def with_periods_added(doc: dict[str, Any], days: Iterable[int], start: str, end: str) -> dict:
    result = copy.deepcopy(doc)
    result["periods"] = [*result.get("periods", [])] + [
        {"day": day, "start": start, "end": end} for day in days
    ]
    return result


def with_break(doc: dict[str, Any], days: Iterable[int], start: str, end: str) -> dict:
    """Cut ``start``–``end`` out of the open periods of ``days`` (a lunch gap)."""
    cut_start = parse_minutes(start)
    cut_end = parse_minutes(end, allow_end_of_day=True)
    result = copy.deepcopy(doc)
    if cut_start is None or cut_end is None or cut_end <= cut_start:
        return result
    chosen = set(days)
    periods: list[dict[str, Any]] = []
    for period in result.get("periods", []):
        p_start = parse_minutes(period.get("start"))
        p_end = parse_minutes(period.get("end"), allow_end_of_day=True)
        if period.get("day") not in chosen or p_start is None or p_end is None:
            periods.append(period)
            continue
        if cut_start > p_start:
            periods.append({**period, "end": minutes_label(min(cut_start, p_end))})
        if cut_end < p_end:
            periods.append({**period, "start": minutes_label(max(cut_end, p_start))})
    result["periods"] = periods
    return result


def with_item_removed(doc: dict[str, Any], key: str, index: int) -> dict:
    result = copy.deepcopy(doc)
    items = result.get(key, [])
    if 0 <= index < len(items):
        del items[index]
    return result


def with_tier_moved(doc: dict[str, Any], index: int, offset: int) -> dict:
    result = copy.deepcopy(doc)
    tiers = result.get("tiers", [])
    target = index + offset
    if 0 <= index < len(tiers) and 0 <= target < len(tiers):
        tiers[index], tiers[target] = tiers[target], tiers[index]
    return result


def with_section(doc: dict[str, Any], key: str, value: Any) -> dict:
    result = copy.deepcopy(doc)
    result[key] = value
    return result


def with_closed_date_added(doc: dict[str, Any], day: str, label: str) -> dict:
    result = copy.deepcopy(doc)
    holidays = dict(result.get("holidays", {}))
    holidays["closed_dates"] = [
        *holidays.get("closed_dates", []),
        {"date": day, "label": label},
    ]
    result["holidays"] = holidays
    return result


def with_closed_date_removed(doc: dict[str, Any], index: int) -> dict:
    result = copy.deepcopy(doc)
    dates = result.get("holidays", {}).get("closed_dates", [])
    if 0 <= index < len(dates):
        del dates[index]
    return result
