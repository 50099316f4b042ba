"""Median time of one ``routing.engine.decide`` for a location with 20 open periods,
10 closed dates (plus a country holiday calendar) and 4 tiers.

Run from the repository root (no database or Redis needed; the engine is pure):

    .venv/bin/python bench/routing/bench_engine.py

It times the incoming-call decision at several moments of the week (open and ringing a
tier, open with a queue to overflow, closed in a lunch gap, closed on a holiday) and prints
the median and 99th percentile of each and of all together.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_platform.settings")

import django  # noqa: E402

django.setup()

from routing.config import Agent  # noqa: E402
from routing.document import (  # noqa: E402
    TeamInfo,
    ValidationContext,
    clean_document,
    compile_snapshot,
    default_document,
    snapshot,
)
from routing.engine import Call, QueueState, decide  # noqa: E402

ZONE = ZoneInfo("America/Chicago")
RUNS = 20_000


def build():
    teams = {
        team_id: TeamInfo(
            team_id,
            f"Team {team_id}",
            5,
            tuple(
                Agent(team_id * 100 + n, f"Agent {n}", f"+1312555{team_id:02d}{n:02d}")
                for n in range(5)
            ),
        )
        for team_id in range(1, 4)
    }
    doc = default_document(time_zone="America/Chicago", country="US")
    # 20 periods: three a weekday (a lunch gap and an evening shift), five at the weekend.
    doc["periods"] = [
        {"day": day, "start": start, "end": end}
        for day in range(5)
        for start, end in (("08:00", "12:00"), ("13:00", "17:30"), ("18:00", "21:00"))
    ] + [
        {"day": 5, "start": "09:00", "end": "12:00"},
        {"day": 5, "start": "13:00", "end": "15:00"},
        {"day": 5, "start": "16:00", "end": "18:00"},
        {"day": 6, "start": "10:00", "end": "12:00"},
        {"day": 6, "start": "13:00", "end": "14:00"},
    ]
    doc["holidays"]["closed_dates"] = [
        {"date": (date(2026, 12, 20) + timedelta(days=n)).isoformat(), "label": f"Closed {n}"}
        for n in range(10)
    ]
    doc["tiers"] = [
        {
            "kind": "team",
            "name": "",
            "team_id": team_id,
            "number": "",
            "strategy": "in_order" if team_id != 2 else "simultaneous",
            "ring_timeout_seconds": 20,
            "move_on": ["no_answer", "busy", "no_agent_available"],
        }
        for team_id in range(1, 4)
    ] + [
        {
            "kind": "external",
            "name": "Backup Answering",
            "team_id": None,
            "number": "+13125550199",
            "strategy": "in_order",
            "ring_timeout_seconds": 30,
            "move_on": ["no_answer"],
        },
    ]
    doc["overflow"]["max_wait_seconds"] = 90
    doc["overflow"]["max_queue_depth"] = 5
    ctx = ValidationContext(location_id=1, today=date(2026, 6, 1), teams=teams)
    cleaned, errors = clean_document(doc, ctx, for_publish=True)
    assert not errors, errors
    data = snapshot(cleaned, location_id=1, location_name="Chicago", teams=teams)
    return compile_snapshot(data, version_id=1, version_number=1, holiday_years=range(2025, 2029))


def main() -> None:
    config = build()
    # Most agents busy, so the engine walks tiers before it finds someone.
    presence = {agent.membership_id: "busy" for tier in config.tiers for agent in tier.agents}
    presence[301] = "available"
    moments = {
        "open, rings tier 3": (datetime(2026, 6, 2, 10, 0, tzinfo=ZONE), QueueState()),
        "open, overflow by wait": (datetime(2026, 6, 2, 14, 0, tzinfo=ZONE), QueueState(3, 95)),
        "closed, lunch gap": (datetime(2026, 6, 2, 12, 30, tzinfo=ZONE), QueueState()),
        "closed, holiday": (datetime(2026, 11, 26, 10, 0, tzinfo=ZONE), QueueState()),
    }
    call = Call(call_sid="CA-bench")
    everything: list[float] = []
    print(
        f"{len(config.tiers)} tiers, {sum(len(d) for d in config.periods)} periods, "
        f"{len(config.holidays.closed_dates)} closed dates + US holidays; {RUNS} runs each"
    )
    for label, (now, queue) in moments.items():
        for _ in range(1000):  # warm-up
            decide(config, now=now, queue_state=queue, presence=presence, call=call)
        samples = []
        for _ in range(RUNS):
            start = time.perf_counter_ns()
            decide(config, now=now, queue_state=queue, presence=presence, call=call)
            samples.append((time.perf_counter_ns() - start) / 1000)
        everything.extend(samples)
        samples.sort()
        print(
            f"  {label:24} median {statistics.median(samples):6.1f} µs   "
            f"p99 {samples[int(len(samples) * 0.99)]:6.1f} µs"
        )
    everything.sort()
    print(
        f"  {'all':24} median {statistics.median(everything):6.1f} µs   "
        f"p99 {everything[int(len(everything) * 0.99)]:6.1f} µs   (target: median < 200 µs)"
    )


if __name__ == "__main__":
    main()
