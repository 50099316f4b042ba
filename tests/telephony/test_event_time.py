"""When a voice event happened, read from Twilio's ``Timestamp``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from telephony.call_state import event_time

RECEIVED = datetime(2026, 11, 25, 15, 0, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wed, 25 Nov 2026 15:00:00 GMT", datetime(2026, 11, 25, 15, 0, tzinfo=UTC)),
        ("Mon, 02 Feb 2026 09:05:07 +0000", datetime(2026, 2, 2, 9, 5, 7, tzinfo=UTC)),
        (
            "Wed, 25 Nov 2026 10:00:00 -0500",
            datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("Wed, 31 Nov 2026 15:00:00 GMT", RECEIVED),
        ("Wed, 25 Nov 2026 15:00 GMT", datetime(2026, 11, 25, 15, 0, tzinfo=UTC)),
        ("yesterday", RECEIVED),
        ("", RECEIVED),
    ],
)
def test_event_time_reads_twilio_timestamps_and_falls_back_to_receipt(raw, expected):
    # Catches the fast reader of Twilio's own format disagreeing with the general one, and
    # a malformed timestamp (an impossible date) failing the webhook instead of falling back.
    at = event_time({"Timestamp": raw}, RECEIVED)
    assert at == expected
    assert at.utcoffset() == expected.utcoffset()
