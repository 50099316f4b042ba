"""The calling window is the recipient's clock: their recorded zone, else their number's
(every zone of an area that spans several), with the organisation's narrower hours on top.
Nothing a caller passes, and nothing stored past the legal hours, widens it."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from telephony import directory, gateway, services
from telephony.models import TelephonySettings
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

HONOLULU = "+18085550142"
SOUTH_DAKOTA = "+16055550142"  # area 605: Central and Mountain time
NEW_YORKER = "+12125550142"
# 13:30 UTC on 25 Nov 2026: 08:30 in New York, 03:30 in Honolulu.
HALF_PAST_EIGHT_NEW_YORK = datetime(2026, 11, 25, 13, 30, tzinfo=UTC)


def sms(tel, key: str, *, to: str, now: datetime, **kwargs) -> gateway.SendResult:
    return gateway.send_sms(
        organization_id=tel.organization_id,
        to=to,
        body="Your appointment is tomorrow at 10.",
        idempotency_key=key,
        now=now,
        **kwargs,
    )


def test_a_location_in_new_york_does_not_move_a_honolulu_recipients_clock(tel_a, prism):
    # Catches the window taken from the location the caller names: a New York office's
    # 08:30 texted a Honolulu number at 03:30 there, while the same send without
    # location_id was blocked.
    with_location = sms(
        tel_a,
        "honolulu-with-location",
        to=HONOLULU,
        now=HALF_PAST_EIGHT_NEW_YORK,
        location_id=tel_a.location.pk,
    )
    without = sms(tel_a, "honolulu-without", to=HONOLULU, now=HALF_PAST_EIGHT_NEW_YORK)
    for result in (with_location, without):
        assert result.blocked and result.reason == gateway.Reason.OUTSIDE_CALLING_WINDOW
        # 08:00 in Honolulu.
        assert result.retry_at == datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    # The location still chooses the sending number, and a New Yorker gets the text.
    assert sms(
        tel_a,
        "new-yorker",
        to=NEW_YORKER,
        now=HALF_PAST_EIGHT_NEW_YORK,
        location_id=tel_a.location.pk,
    ).sent


def test_the_contacts_recorded_zone_comes_before_the_number(tel_a, prism):
    # Catches the number's area beating what the organisation knows: this Honolulu number
    # belongs to someone who lives in New York.
    with tenant_context(tel_a.organization_id):
        services.contact_update(e164=HONOLULU, time_zone="America/New_York")
    assert sms(tel_a, "moved-east", to=HONOLULU, now=HALF_PAST_EIGHT_NEW_YORK).sent


def test_an_area_code_across_a_zone_line_takes_the_latest_morning(tel_a, prism):
    # Catches the first zone of the area taken alone: 14:30 UTC is 08:30 in Central time
    # but 07:30 in Mountain time, and the person may be in either.
    result = sms(
        tel_a, "south-dakota", to=SOUTH_DAKOTA, now=datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    )
    assert result.reason == gateway.Reason.OUTSIDE_CALLING_WINDOW
    assert result.retry_at == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 08:00 Mountain


def test_hours_stored_past_the_legal_window_do_not_widen_it(tel_a, prism):
    # Catches the stored settings trusted as they are: a row written without its checks
    # (a data migration, the admin, a raw update) saying 06:00-23:00 must not text a New
    # Yorker at 22:00 or at 07:00.
    with tenant_context(tel_a.organization_id):
        services.telephony_settings_update(actor=tel_a.world.tenant(), outbound_per_minute=60)
        TelephonySettings.objects.update(
            calling_window_start=time(6, 0), calling_window_end=time(23, 0)
        )
    directory.clear_local_cache()
    ten_pm = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    seven_am = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert sms(tel_a, "late", to=NEW_YORKER, now=ten_pm).reason == (
        gateway.Reason.OUTSIDE_CALLING_WINDOW
    )
    assert sms(tel_a, "early", to=NEW_YORKER, now=seven_am).reason == (
        gateway.Reason.OUTSIDE_CALLING_WINDOW
    )
