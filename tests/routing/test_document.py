"""Validation of the routing rules: every bad input is an error on its own field path."""

from __future__ import annotations

import pytest

from foundation.phones import Problem, phone_message
from routing.diff import rules_diff
from routing.document import clean_document, with_break
from tests.routing.builders import BACKUP, context, document, tier


def errors_of(doc, *, for_publish=True, **ctx):
    return clean_document(doc, context(**ctx), for_publish=for_publish)[1]


def test_a_valid_document_has_no_errors():
    # Catches a validator so strict that the normal rules cannot be published (the tests below
    # would pass vacuously).
    assert errors_of(document()) == {}


def test_overlapping_periods_are_an_error_on_the_later_period():
    # Catches overlaps slipping through (a call would match two periods).
    doc = document()
    doc["periods"].append({"day": 1, "start": "11:00", "end": "12:30"})
    errors = errors_of(doc)
    assert list(errors) == ["periods.10.start"]
    assert "Overlaps Tuesday 09:00–12:00" in errors["periods.10.start"][0]


def test_period_inside_a_long_period_is_found_past_a_shorter_one():
    # Catches an overlap check that only compares neighbours after sorting.
    doc = document(
        periods=[
            {"day": 0, "start": "09:00", "end": "17:00"},
            {"day": 0, "start": "10:00", "end": "11:00"},
            {"day": 0, "start": "12:00", "end": "13:00"},
        ]
    )
    assert set(errors_of(doc)) == {"periods.1.start", "periods.2.start"}


def test_inverted_period_is_an_error_on_its_end():
    # Catches a period ending before it starts being saved (it would never match).
    doc = document(periods=[{"day": 0, "start": "17:00", "end": "09:00"}])
    assert "ends (09:00) before it starts (17:00)" in errors_of(doc)["periods.0.end"][0]


def test_malformed_times_and_days_are_field_errors():
    # Catches malformed times or days crashing the compiler instead of being reported.
    doc = document(
        periods=[
            {"day": 7, "start": "09:00", "end": "10:00"},
            {"day": 0, "start": "9am", "end": "24:01"},
            {"day": True, "start": "09:00", "end": "10:00"},
        ]
    )
    errors = errors_of(doc)
    assert set(errors) == {"periods.0.day", "periods.1.start", "periods.1.end", "periods.2.day"}


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("312 555 0199", Problem.NO_COUNTRY_CODE),
        ("+1 312 555 01", Problem.INVALID),
        ("backup line", Problem.NOT_A_NUMBER),
        (5, Problem.NOT_A_NUMBER),
        ("\x00" * 10_000, Problem.TOO_LONG),
    ],
)
def test_a_bad_number_in_the_document_gets_the_shared_phone_message(number, problem):
    # Catches the document keeping a phone parser of its own (with its own messages), or
    # accepting a national number whose country it cannot know.
    overflow = {**document()["overflow"], "target": {**BACKUP, "number": number}}
    errors = errors_of(document(overflow=overflow))
    assert errors["overflow.target.number"] == [phone_message(problem, region=None)]


def test_a_number_in_the_document_is_stored_as_e164():
    # Catches an international number kept as typed (the engine dials it as it is).
    overflow = {**document()["overflow"], "target": {**BACKUP, "number": "+1 (312) 555-0199"}}
    clean, errors = clean_document(document(overflow=overflow), context(), for_publish=True)
    assert errors == {}
    assert clean["overflow"]["target"]["number"] == "+13125550199"


def test_unknown_time_zone_is_a_field_error():
    # Catches an unknown zone reaching ZoneInfo on the call path.
    errors = errors_of(document(time_zone="Mars/Olympus_Mons"))
    assert "not a known time zone" in errors["time_zone"][0]


def test_tier_whose_team_has_no_members_is_a_field_error():
    # Catches a tier that can ring nobody being published.
    errors = errors_of(document(tiers=[tier(3)]))
    assert errors == {"tiers.0.team_id": [errors["tiers.0.team_id"][0]]}
    assert "Nobody has no members" in errors["tiers.0.team_id"][0]


def test_tier_with_an_unknown_team_is_a_field_error():
    # Catches a tier pointing at a deleted or foreign team.
    assert "tiers.0.team_id" in errors_of(document(tiers=[tier(999)]))


def test_overflow_to_the_same_queue_is_a_field_error():
    # Catches an overflow that puts callers back in the queue they overflowed from.
    target = {"kind": "location", "location_id": 100, "name": "", "number": ""}
    overflow = {**document()["overflow"], "target": target}
    errors = errors_of(document(overflow=overflow))
    assert "loop back to the same queue" in errors["overflow.target.location_id"][0]


def test_overflow_loop_through_another_location_is_a_field_error():
    # Catches A → B → A: Denver already overflows back to this location.
    target = {"kind": "location", "location_id": 101, "name": "", "number": ""}
    overflow = {**document()["overflow"], "target": target}
    errors = errors_of(document(overflow=overflow), overflow_edges={101: 100})
    assert "loops back to this location" in errors["overflow.target.location_id"][0]


def test_overflow_to_the_locations_own_number_is_a_loop():
    # Catches forwarding to the number the caller dialled (a call loop).
    target = {**BACKUP, "number": "+12125550100"}
    overflow = {**document()["overflow"], "target": target}
    assert "loop back here" in errors_of(document(overflow=overflow))["overflow.target.number"][0]


def test_zero_or_negative_thresholds_are_field_errors():
    # Catches thresholds of 0 or less accepted.
    overflow = {**document()["overflow"], "max_wait_seconds": 0, "max_queue_depth": -3}
    alerts = {"max_wait_seconds": -1, "abandonment_percent": 0, "min_calls": 0}
    errors = errors_of(document(overflow=overflow, alerts=alerts))
    assert set(errors) == {
        "overflow.max_wait_seconds",
        "overflow.max_queue_depth",
        "alerts.max_wait_seconds",
        "alerts.abandonment_percent",
        "alerts.min_calls",
    }
    assert "greater than 0" in errors["overflow.max_wait_seconds"][0]


def test_absurd_closed_dates_are_field_errors():
    # Catches closed dates far in the past or future, or impossible dates, accepted.
    holidays = {
        "country": "US",
        "subdivision": "",
        "closed_dates": [
            {"date": "1899-12-25", "label": "Too old"},
            {"date": "2999-01-01", "label": "Too far"},
            {"date": "2026-02-30", "label": "No such day"},
        ],
    }
    errors = errors_of(document(holidays=holidays))
    assert set(errors) == {
        "holidays.closed_dates.0.date",
        "holidays.closed_dates.1.date",
        "holidays.closed_dates.2.date",
    }


def test_unknown_holiday_country_and_region_are_field_errors():
    # Catches a calendar the holidays library cannot build (a 500 at compile time).
    errors = errors_of(document(holidays={"country": "XX", "subdivision": "ZZ"}))
    assert set(errors) == {"holidays.country", "holidays.subdivision"}
    assert errors_of(document(holidays={"country": "US", "subdivision": "NY"})) == {}


def test_open_hours_with_no_tier_are_unreachable_at_publish_only():
    # Catches a publish that leaves open hours with nobody to ring; a draft may be
    # incomplete while it is being edited.
    doc = document(tiers=[])
    assert errors_of(doc, for_publish=False) == {}
    assert "Nobody answers while open" in errors_of(doc)["tiers"][0]


def test_overflow_to_an_unpublished_location_is_refused_at_publish():
    # Catches overflowing into a queue whose location has no rules (nobody would take the call).
    target = {"kind": "location", "location_id": 101, "name": "", "number": ""}
    overflow = {**document()["overflow"], "target": target}
    errors = errors_of(document(overflow=overflow), published_locations=frozenset())
    assert "no published routing yet" in errors["overflow.target.location_id"][0]


def test_wrong_types_never_raise():
    # Catches a validator that crashes (a 500 in the API) instead of reporting.
    raw: object
    for raw in (
        None,
        [],
        "x",
        {"periods": "x", "tiers": {}, "overflow": [], "alerts": 5},
        {"tiers": [None, 5, {"kind": "team", "team_id": "1"}]},
        {"overflow": {"max_wait_seconds": "ten", "target": {"kind": "number"}}},
    ):
        errors = clean_document(raw, context())[1]
        assert errors


def test_a_lunch_break_splits_the_days_periods():
    # Catches a break that removes the whole period or leaves it unchanged.
    doc = document(periods=[{"day": 0, "start": "09:00", "end": "17:00"}])
    result = with_break(doc, [0], "12:00", "13:00")
    assert result["periods"] == [
        {"day": 0, "start": "09:00", "end": "12:00"},
        {"day": 0, "start": "13:00", "end": "17:00"},
    ]


def test_diff_names_what_changed_in_words():
    # Catches version differences that miss changes or are not readable.
    before = document()
    after = document(periods=[{"day": 0, "start": "08:00", "end": "17:00"}])
    after["overflow"]["max_wait_seconds"] = 60
    texts = [change.text for change in rules_diff(before, after)]
    assert "Monday: 09:00–12:00, 13:00–17:00 → 08:00–17:00" in texts
    assert "Tuesday–Friday: 09:00–12:00, 13:00–17:00 → closed" in texts
    assert "Overflow after waiting: 90 s → 60 s" in texts
