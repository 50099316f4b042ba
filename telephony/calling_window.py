"""The hours in which a person may be called or texted: 08:00-21:00 in *their* local time.

The recipient's zone comes from the contact when the organisation recorded it, else from
the number's area (``foundation.phones.time_zones_of``), else the organisation's zone. A
number whose area spans several zones (an area code across a zone line, a toll-free
number) must be inside the window in every one of them: the strict reading, since the
person could be in any of them. Nothing the sender says about itself moves the window:
not the location a message is about, nor the sending number's location (a New York office
texting a Honolulu number at 08:30 New York time reaches someone at 02:30). The
organisation may narrow the hours (``TelephonySettings``); ``window`` keeps them inside the
legal ones whatever is stored.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from foundation.phones import time_zones_of
from telephony.models import LEGAL_WINDOW_END, LEGAL_WINDOW_START


def recipient_time_zones(
    e164: str, *, contact_time_zone: str = "", fallback: str = "UTC"
) -> list[str]:
    """The zones the recipient may be in: the contact's recorded zone, else every zone of
    the number's area, else ``fallback`` (the organisation's)."""
    known = available_timezones()
    if contact_time_zone in known:
        return [contact_time_zone]
    zones = [zone for zone in time_zones_of(e164) if zone in known]
    return zones or [fallback]


def window(start: time, end: time) -> tuple[time, time]:
    """The organisation's hours within the legal ones: narrower is kept, wider is cut."""
    return max(start, LEGAL_WINDOW_START), min(end, LEGAL_WINDOW_END)


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
