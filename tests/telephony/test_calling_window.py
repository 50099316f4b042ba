"""The calling window at its edges: 08:00 opens, 21:00 closes, in the recipient's zone (every
zone when the number does not say which), one second either side. Pure: the clock is an
argument."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from telephony.calling_window import is_within, next_opening, recipient_time_zones

NEW_YORK = ZoneInfo("America/New_York")
OPENS, CLOSES = time(8, 0), time(21, 0)
ONE_SECOND = timedelta(seconds=1)


def new_york(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (new_york("2026-06-02T07:59:59"), False),
        (new_york("2026-06-02T08:00:00"), True),
        (new_york("2026-06-02T20:59:59"), True),
        (new_york("2026-06-02T21:00:00"), False),
    ],
)
def test_window_is_from_0800_inclusive_to_2100_exclusive_local(moment, allowed):
    # Catches `<` for `<=` at 08:00 (the first lawful second refused) and `<=` for `<` at
    # 21:00 (a call placed at 21:00:00, which the rule forbids).
    assert is_within(moment, ["America/New_York"], OPENS, CLOSES) is allowed


def test_window_is_read_in_the_recipients_zone_not_utc():
    # Catches the window checked in UTC: 13:00 UTC is 09:00 in New York but 06:00 in LA.
    moment = datetime.fromisoformat("2026-06-02T13:00:00+00:00")
    assert is_within(moment, ["America/New_York"], OPENS, CLOSES)
    assert not is_within(moment, ["America/Los_Angeles"], OPENS, CLOSES)
    assert not is_within(moment, ["America/New_York", "America/Los_Angeles"], OPENS, CLOSES)


def test_window_on_the_spring_forward_day_opens_at_local_0800():
    # Catches a fixed UTC offset: on 8 March 2026 New York moves to UTC−4 at 02:00.
    assert not is_within(new_york("2026-03-08T07:59:59"), ["America/New_York"], OPENS, CLOSES)
    assert is_within(new_york("2026-03-08T08:00:00"), ["America/New_York"], OPENS, CLOSES)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (new_york("2026-06-02T07:59:59"), new_york("2026-06-02T08:00:00")),
        (new_york("2026-06-02T08:00:00"), new_york("2026-06-02T08:00:00")),
        (new_york("2026-06-02T21:00:00"), new_york("2026-06-03T08:00:00")),
        (new_york("2026-06-02T23:30:00"), new_york("2026-06-03T08:00:00")),
    ],
)
def test_next_opening_is_the_next_0800_or_now_when_open(moment, expected):
    # Catches a retry scheduled for a moment still outside the window, or a day late.
    assert next_opening(moment, ["America/New_York"], OPENS, CLOSES) == expected


def test_next_opening_of_several_zones_is_when_the_last_of_them_opens():
    # Catches the first zone's opening taken: 08:00 in New York is 05:00 in Los Angeles.
    zones = ["America/New_York", "America/Los_Angeles"]
    moment = new_york("2026-06-02T06:00:00")
    assert next_opening(moment, zones, OPENS, CLOSES) == datetime(
        2026, 6, 2, 8, 0, tzinfo=ZoneInfo("America/Los_Angeles")
    )


def test_recipient_zone_comes_from_the_contact_then_the_number_then_the_fallback():
    # Catches a less specific source winning: the person's own zone is the law's zone.
    number = "+12125550123"  # New York area code
    assert recipient_time_zones(number, contact_time_zone="Europe/London") == ["Europe/London"]
    assert recipient_time_zones(number, fallback="Europe/Paris") == ["America/New_York"]
    assert recipient_time_zones("+80012345678", fallback="Europe/Paris") == ["Europe/Paris"]


def test_a_toll_free_number_must_be_inside_the_window_in_every_us_zone():
    # Catches a number of unknown area checked in one zone only.
    zones = recipient_time_zones("+18005550199")
    assert len(zones) > 1
    assert "America/New_York" in zones and "America/Los_Angeles" in zones
    assert not is_within(new_york("2026-06-02T09:00:00"), zones, OPENS, CLOSES)
