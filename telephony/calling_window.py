"""The hours in which a person may be called or texted: 08:00-21:00 in *their* local time.

The recipient's zone comes from the contact when known, else the location the message is
about (the one the person called or booked with, when the caller names it), else the
number's area (``foundation.phones.time_zones_of``), else the organisation's zone. The
sending number's own location says where the organisation is, not the person, so it is not
used. A number whose region spans several zones (a US number of an unknown area, a
toll-free number) must be inside the window in every one of them: the strict reading, since
the person could be in any of them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from foundation.phones import time_zones_of


def recipient_time_zones(
    e164: str, *, contact_time_zone: str = "", location_time_zone: str = "", fallback: str = "UTC"
) -> list[str]:
    """The zones the recipient may be in, most specific source first."""
    if contact_time_zone:
        return [contact_time_zone]
    if location_time_zone:
        return [location_time_zone]
    known = available_timezones()
    zones = [zone for zone in time_zones_of(e164) if zone in known]
    return zones or [fallback]


def is_within(now: datetime, zones: list[str], start: time, end: time) -> bool:
    """Whether ``now`` is inside [start, end) local time in every zone."""
    for zone in zones:
        local = now.astimezone(ZoneInfo(zone)).time()
        if not (start <= local < end):
            return False
    return True


def next_opening(now: datetime, zones: list[str], start: time, end: time) -> datetime:
    """The earliest moment at or after ``now`` inside the window in every zone.

    The common window of several zones opens when the latest of them opens, so the answer
    is one of the zones' window starts in the next few days.
    """
    if is_within(now, zones, start, end):
        return now
    candidates: list[datetime] = []
    for zone in zones:
        tz = ZoneInfo(zone)
        local_day = now.astimezone(tz).date()
        for days in range(0, 4):
            opening = datetime.combine(local_day + timedelta(days=days), start, tzinfo=tz)
            if opening >= now:
                candidates.append(opening)
    for candidate in sorted(candidates):
        if is_within(candidate, zones, start, end):
            return candidate
    # No common window (zones more than 13 hours apart): the first opening of any zone,
    # where the send is checked again and blocked again; never silently allowed.
    return min(candidates)
