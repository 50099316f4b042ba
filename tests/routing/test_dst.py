"""Daylight-saving transitions: open periods are local wall-clock times, so the same UTC
instant is open on one side of a transition and closed on the other."""

from __future__ import annotations

from datetime import UTC, datetime

from routing.coverage import coverage_grid
from routing.engine import Call, QueueState, decide
from tests.routing.builders import compile_document, document

EVERYONE = {11: "available", 12: "available", 13: "available", 21: "available"}


def _open(config, utc_text: str) -> bool:
    now = datetime.fromisoformat(utc_text).replace(tzinfo=UTC)
    return decide(config, now=now, queue_state=QueueState(), presence=EVERYONE, call=Call()).is_open


def _with_sunday_night(start: str, end: str):
    doc = document()
    doc["periods"] = [*doc["periods"], {"day": 6, "start": start, "end": end}]
    return compile_document(doc)


def test_spring_forward_monday_opens_at_nine_local_which_is_an_hour_earlier_in_utc():
    # Catches periods applied in UTC or at a fixed offset: after 8 March 2026, 09:00 in
    # New York is 13:00 UTC, before it 14:00 UTC.
    config = compile_document(document())
    assert not _open(config, "2026-03-02T13:30")  # 08:30 EST, the Monday before
    assert _open(config, "2026-03-09T13:30")  # 09:30 EDT, the Monday after
    assert _open(config, "2026-03-09T20:59")  # 16:59 EDT
    assert not _open(config, "2026-03-09T21:00")  # 17:00 EDT


def test_spring_forward_night_period_across_the_missing_hour():
    # Catches arithmetic on local times across the missing hour (closing at 04:00 EST instead of
    # EDT).
    # 02:00–03:00 does not exist on 8 March 2026; a Sunday 01:00–04:00 period is open on
    # both sides of the jump and closes at 04:00 EDT (08:00 UTC), not 04:00 EST.
    config = _with_sunday_night("01:00", "04:00")
    assert _open(config, "2026-03-08T06:59")  # 01:59 EST
    assert _open(config, "2026-03-08T07:00")  # 03:00 EDT
    assert _open(config, "2026-03-08T07:59")  # 03:59 EDT
    assert not _open(config, "2026-03-08T08:00")  # 04:00 EDT


def test_fall_back_repeated_hour_is_open_both_times():
    # Catches the second 01:30 on the fall-back night treated as closed.
    # 01:00–02:00 happens twice on 1 November 2026: a 01:00–02:00 period covers both.
    config = _with_sunday_night("01:00", "02:00")
    assert _open(config, "2026-11-01T05:30")  # 01:30 EDT
    assert _open(config, "2026-11-01T06:30")  # 01:30 EST
    assert not _open(config, "2026-11-01T07:00")  # 02:00 EST


def test_fall_back_monday_opens_at_nine_local_which_is_an_hour_later_in_utc():
    # Catches periods kept at the summer UTC offset after the clocks go back.
    config = compile_document(document())
    assert _open(config, "2026-10-26T13:30")  # 09:30 EDT, the Monday before
    assert not _open(config, "2026-11-02T13:30")  # 08:30 EST, the Monday after
    assert _open(config, "2026-11-02T14:00")  # 09:00 EST


def test_coverage_grid_is_in_local_wall_clock_time_whatever_the_season():
    # Catches a grid that shifts by an hour with DST: it is a weekly pattern in local time.
    grid = coverage_grid(compile_document(document()))
    assert grid.rows[9][0].state == "person"
    assert grid.rows[8][0].state == "voicemail"
    assert grid.rows[12][0].label == "Voicemail"
