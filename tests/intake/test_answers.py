"""An agent's answers: each type's good and bad answers (browser strings and typed JSON
alike), drafts against completed intakes, hidden fields, tampered ids, and which fields are
shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.scripts.answers import (
    InvalidAnswer,
    JSONable,
    aware_datetime,
    clean_answers,
    split_by_sensitivity,
    visible_field_ids,
)
from intake.scripts.definition import Definition, Sensitivity, parse_definition

CHOICES = [{"value": v, "label": v.title()} for v in ("morning", "afternoon", "evening")]

DEFN = parse_definition(
    {
        "sections": [
            {
                "id": "caller",
                "title": "Caller",
                "fields": [
                    {
                        "id": "full_name",
                        "type": "short_text",
                        "label": "Full name",
                        "required": True,
                        "sensitivity": "personal",
                        "validation": {
                            "min_length": 2,
                            "max_length": 20,
                            "pattern": "[A-Za-z .'-]+",
                        },
                    },
                    {"id": "notes", "type": "long_text", "label": "Notes"},
                    {"id": "phone", "type": "phone", "label": "Phone", "sensitivity": "personal"},
                    {"id": "email", "type": "email", "label": "Email"},
                    {
                        "id": "born",
                        "type": "date",
                        "label": "Date of birth",
                        "validation": {"min": "1900-01-01", "max": "2030-12-31"},
                    },
                    {"id": "callback_at", "type": "datetime", "label": "Call back at"},
                    {
                        "id": "count",
                        "type": "number",
                        "label": "People",
                        "validation": {"min": 0, "max": 50},
                    },
                    {
                        "id": "injured",
                        "type": "yes_no",
                        "label": "Was anyone injured?",
                        "required": True,
                    },
                    {
                        "id": "injuries",
                        "type": "long_text",
                        "label": "Injuries",
                        "required": True,
                        "sensitivity": "health",
                        "condition": {"field": "injured", "equals": True},
                    },
                    {
                        "id": "treated_where",
                        "type": "short_text",
                        "label": "Treated where",
                        "condition": {"field": "injuries", "answered": True},
                    },
                    {
                        "id": "slot",
                        "type": "single_choice",
                        "label": "Slot",
                        "validation": {"choices": CHOICES},
                    },
                    {
                        "id": "slots",
                        "type": "multiple_choice",
                        "label": "Slots",
                        "validation": {"choices": CHOICES, "max_choices": 2},
                    },
                    {"id": "address", "type": "address", "label": "Address"},
                ],
            }
        ]
    }
)

BASE: dict[str, object] = {"full_name": "Ada Lovelace", "injured": "no"}


def clean(field_id: str, raw: object) -> tuple[object, str | None]:
    """The clean value and the error of one answer, on a draft."""
    result = clean_answers(DEFN, {field_id: raw}, complete=False)
    return result.values.get(field_id), result.errors.get(field_id)


GOOD: list[tuple[str, object, object]] = [
    ("full_name", "  Ada Lovelace ", "Ada Lovelace"),
    ("notes", "line one\r\nline two\tindented", "line one\nline two\tindented"),
    ("phone", "(212) 555-0100", "+12125550100"),
    ("phone", "+44 20 7946 0958", "+442079460958"),
    ("email", " Ada@Example.COM ", "Ada@example.com"),
    ("born", "1990-02-28", "1990-02-28"),
    ("callback_at", "2025-03-09T02:30", "2025-03-09T02:30"),
    ("count", 3, 3),
    ("count", 2.0, 2),
    ("count", 2.5, 2.5),
    ("count", "7", 7),
    ("count", " 4.50 ", 4.5),
    ("count", "0", 0),
    ("injured", True, True),
    ("injured", False, False),
    ("injured", "Yes", True),
    ("injured", "FALSE", False),
    ("injured", " no ", False),
    ("slot", "evening", "evening"),
    ("slots", ["evening", "morning"], ["morning", "evening"]),
    ("slots", ("afternoon",), ["afternoon"]),
    (
        "address",
        {"line1": " 1 Main  St ", "city": "Springfield", "postal_code": "12345", "line2": None},
        {
            "line1": "1 Main St",
            "line2": "",
            "city": "Springfield",
            "region": "",
            "postal_code": "12345",
        },
    ),
]


@pytest.mark.parametrize(("field_id", "raw", "expected"), GOOD)
def test_a_good_answer_cleans_to_its_canonical_value(
    field_id: str, raw: object, expected: object
) -> None:
    value, error = clean(field_id, raw)
    assert error is None
    assert value == expected
    assert type(value) is type(expected)


BAD: list[tuple[str, object, str]] = [
    ("full_name", 42, "'Full name' takes text, not a number."),
    ("full_name", "A", "'Full name' must be at least 2 characters."),
    ("full_name", "A" * 21, "'Full name' must be at most 20 characters (it has 21)."),
    ("full_name", "Ada99", "'Full name' is not in the expected form."),
    ("full_name", "Ada\x00Lovelace", "'Full name' contains a control character; type it again."),
    ("notes", "bell\x07", "'Notes' contains a control character; type it again."),
    ("notes", "\ud800 lone surrogate", "'Notes' contains a control character; type it again."),
    ("notes", "x" * 10_001, "'Notes' must be at most 10000 characters (it has 10001)."),
    ("phone", "call me", "'Phone': Enter a phone number using digits"),
    ("phone", 2125550100, "'Phone' takes a phone number written as text."),
    ("email", "ada@", "'Email' must be an email address, like name@example.com."),
    ("email", "ada@example", "'Email' must be an email address"),
    ("email", "a b@example.com", "'Email' must be an email address"),
    ("email", "a@" + "b" * 250 + ".com", "'Email' must be an email address"),
    ("born", "28/02/1990", "'Date of birth' must be a date written YYYY-MM-DD."),
    ("born", "1990-02-30", "'Date of birth' must be a date written YYYY-MM-DD."),
    ("born", 19900228, "'Date of birth' must be a date written YYYY-MM-DD."),
    ("born", "1899-12-31", "'Date of birth' must be '1900-01-01' or later."),
    ("born", "2031-01-01", "'Date of birth' must be '2030-12-31' or earlier."),
    (
        "callback_at",
        "2025-03-09T02:30:00",
        "'Call back at' must be a date and time written YYYY-MM-DDTHH:MM.",
    ),
    (
        "callback_at",
        "2025-03-09T02:30-05:00",
        "'Call back at' must be a date and time written YYYY-MM-DDTHH:MM.",
    ),
    (
        "callback_at",
        "2025-03-09 02:30",
        "'Call back at' must be a date and time written YYYY-MM-DDTHH:MM.",
    ),
    ("count", True, "'People' takes a number, not true or false."),
    ("count", "²", "'People' must be a number, like 42 or 3.5."),
    ("count", "٣", "'People' must be a number, like 42 or 3.5."),
    ("count", "1e3", "'People' must be a number, like 42 or 3.5."),
    ("count", "NaN", "'People' must be a number, like 42 or 3.5."),
    ("count", float("inf"), "'People' must be a finite number"),
    ("count", float("nan"), "'People' must be a finite number"),
    ("count", 10**20, "'People' must be a finite number"),
    ("count", "1,000", "'People' must be a number"),
    ("count", -1, "'People' must be 0 or more."),
    ("count", "51", "'People' must be 50 or less."),
    ("injured", 0, "'Was anyone injured?' takes yes or no."),
    ("injured", 1, "'Was anyone injured?' takes yes or no."),
    ("injured", "1", "'Was anyone injured?' takes yes or no."),
    ("injured", "maybe", "'Was anyone injured?' takes yes or no."),
    ("slot", "night", "'Slot' must be one of its choices."),
    ("slot", ["morning"], "'Slot' must be one of its choices."),
    ("slots", "morning", "'Slots' takes a list of its choices."),
    ("slots", ["morning", "morning"], "'Slots' names a choice more than once."),
    ("slots", ["morning", "night"], "'Slots' must only hold its choices."),
    ("slots", ["morning", "afternoon", "evening"], "'Slots' takes at most 2 choices."),
    ("slots", [1], "'Slots' takes a list of its choices."),
    (
        "address",
        "1 Main St",
        "'Address' takes an address: line1, line2, city, region, postal_code.",
    ),
    (
        "address",
        {"line1": "1 Main St", "country": "US"},
        "'Address' has parts an address does not have: 'country'.",
    ),
    ("address", {"city": "Springfield"}, "'Address' needs its first line (street and number)."),
    ("address", {"line1": "1 Main St", "city": 5}, "'Address': city takes text, not a number."),
    ("address", {"line1": "x" * 201}, "'Address': line1 must be at most 200 characters of text."),
]


@pytest.mark.parametrize(("field_id", "raw", "message"), BAD)
def test_a_bad_answer_is_refused_with_a_plain_message(
    field_id: str, raw: object, message: str
) -> None:
    value, error = clean(field_id, raw)
    assert value is None
    assert error is not None and error.startswith(message), error


@pytest.mark.parametrize("empty", [None, "", "   ", [], [""], {}, {"line1": "", "city": None}])
def test_empty_values_mean_not_answered(empty: object) -> None:
    for field_id in ("notes", "count", "injured", "slots", "address"):
        assert clean(field_id, empty) == (None, None)


def test_national_numbers_are_read_in_the_region_given() -> None:
    result = clean_answers(DEFN, {"phone": "020 7946 0958"}, complete=False, region="GB")
    assert result.values["phone"] == "+442079460958"
    assert "phone" in clean_answers(DEFN, {"phone": "020 7946 0958"}, complete=False).errors


# Drafts and completed intakes -------------------------------------------------------------


def test_a_draft_keeps_every_good_answer_and_reports_the_bad_ones() -> None:
    result = clean_answers(
        DEFN, {"full_name": "Ada", "count": "lots", "email": "nope"}, complete=False
    )
    assert result.values == {"full_name": "Ada"}
    assert set(result.errors) == {"count", "email"}
    assert not result.ok


def test_a_draft_does_not_ask_for_required_answers() -> None:
    assert clean_answers(DEFN, {}, complete=False).errors == {}


def test_a_completed_intake_needs_every_shown_required_answer() -> None:
    result = clean_answers(DEFN, {"injured": "yes"}, complete=True)
    assert result.errors == {
        "full_name": "'Full name' is required.",
        "injuries": "'Injuries' is required.",
    }
    # Hidden required fields are not asked for.
    assert clean_answers(DEFN, BASE, complete=True).errors == {}


def test_a_bad_required_answer_reports_the_problem_not_that_it_is_missing() -> None:
    result = clean_answers(DEFN, {**BASE, "full_name": "A"}, complete=True)
    assert result.errors == {"full_name": "'Full name' must be at least 2 characters."}


HIDDEN = "'Injuries' is hidden by the caller's answers; clear it or change 'Was anyone injured?'."


def test_a_completed_intake_refuses_an_answer_to_a_hidden_field() -> None:
    result = clean_answers(DEFN, {**BASE, "injuries": "Broken arm"}, complete=True)
    assert result.errors == {"injuries": HIDDEN}
    assert "injuries" not in result.values


def test_a_draft_drops_a_hidden_answer_and_says_so() -> None:
    result = clean_answers(DEFN, {**BASE, "injuries": "Broken arm", "count": 2}, complete=False)
    assert result.errors == {"injuries": HIDDEN}
    assert result.values == {"full_name": "Ada Lovelace", "injured": False, "count": 2}


def test_a_field_hidden_through_a_chain_names_the_answer_to_change() -> None:
    # treated_where depends on injuries, which is hidden because injured is "no".
    result = clean_answers(DEFN, {**BASE, "treated_where": "St Mary's"}, complete=True)
    assert result.errors == {
        "treated_where": "'Treated where' is hidden by the caller's answers; clear it or change "
        "'Was anyone injured?'."
    }


def test_a_shown_conditional_field_is_kept() -> None:
    answers = {**BASE, "injured": True, "injuries": "Broken arm", "treated_where": "St Mary's"}
    result = clean_answers(DEFN, answers, complete=True)
    assert result.errors == {}
    assert result.values["treated_where"] == "St Mary's"


@pytest.mark.parametrize("complete", [True, False])
def test_answers_to_fields_the_script_does_not_have_are_refused(complete: bool) -> None:
    result = clean_answers(DEFN, {**BASE, "is_admin": True, "ssn": "123"}, complete=complete)
    assert result.errors == {
        "__all__": "These answers are for fields the script does not have: 'is_admin', 'ssn'."
    }
    assert "is_admin" not in result.values and result.values["full_name"] == "Ada Lovelace"


def test_many_unknown_ids_are_counted_not_listed() -> None:
    tampered: dict[Any, object] = {f"f{i}": 1 for i in range(8)} | {3: "x"}
    message = clean_answers(DEFN, tampered, complete=False).errors["__all__"]
    assert message.endswith("'f4' and 4 more.")


# Which fields are shown ---------------------------------------------------------------------


def test_visible_fields_follow_raw_and_clean_answers_alike() -> None:
    always = {f.id for f in DEFN.fields} - {"injuries", "treated_where"}
    assert visible_field_ids(DEFN, {}) == always
    assert visible_field_ids(DEFN, {"injured": "yes"}) == always | {"injuries"}
    assert visible_field_ids(DEFN, {"injured": True, "injuries": "Cut"}) == always | {
        "injuries",
        "treated_where",
    }
    # A hidden field's answer does not show the fields depending on it.
    assert visible_field_ids(DEFN, {"injured": "no", "injuries": "Cut"}) == always
    # 1 is not yes.
    assert visible_field_ids(DEFN, {"injured": 1}) == always


def _chain_definition(conditions: list[tuple[int, int, bool]], count: int) -> Definition:
    fields = []
    for n in range(count):
        f: dict[str, Any] = {"id": f"f{n}", "type": "yes_no", "label": f"F{n}"}
        for source, target, wanted in conditions:
            if source == n:
                f["condition"] = {"field": f"f{target}", "equals": wanted}
        fields.append(f)
    return parse_definition({"sections": [{"id": "s", "fields": fields}]})


def _meaning(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    return {"yes": True, "no": False}.get(raw) if isinstance(raw, str) else None


@settings(max_examples=150, deadline=None)
@given(
    count=st.integers(1, 8),
    conditions=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 9), st.booleans()), max_size=8),
    answers=st.dictionaries(
        st.sampled_from([f"f{n}" for n in range(8)]),
        st.sampled_from([True, False, "yes", "no", None, 0, "maybe"]),
    ),
)
def test_a_visible_field_never_depends_on_a_hidden_one(
    count: int, conditions: list[tuple[int, int, bool]], answers: dict[str, object]
) -> None:
    # Loops, self-conditions and missing targets included: drafts may have them.
    defn = _chain_definition(conditions, count)
    visible = visible_field_ids(defn, answers)
    for f in defn.fields:
        if f.id in visible and f.condition is not None:
            assert f.condition.field in visible
            assert _meaning(answers.get(f.condition.field)) is f.condition.values[0]
        if f.condition is None:
            assert f.id in visible
    # Cleaning never raises, and keeps only answers to visible fields.
    result = clean_answers(defn, answers, complete=True)
    assert set(result.values) <= visible


def test_a_loop_hides_every_field_in_it() -> None:
    defn = _chain_definition([(0, 1, True), (1, 0, True)], 3)
    assert visible_field_ids(defn, {"f0": True, "f1": True}) == {"f2"}


# Sensitivity and datetimes ----------------------------------------------------------------


def test_answers_split_by_sensitivity() -> None:
    values: dict[str, JSONable] = {
        "full_name": "Ada",
        "injured": True,
        "injuries": "Cut",
        "phone": "+12125550100",
        "x": 1,
    }
    groups = split_by_sensitivity(DEFN, values)
    assert groups == {
        Sensitivity.ORDINARY: {"injured": True},
        Sensitivity.PERSONAL: {"full_name": "Ada", "phone": "+12125550100"},
        Sensitivity.HEALTH: {"injuries": "Cut"},
    }
    assert split_by_sensitivity(DEFN, {}) == {s: {} for s in Sensitivity}


def test_a_datetime_answer_is_a_wall_clock_time_at_the_location() -> None:
    new_york = ZoneInfo("America/New_York")
    moment = aware_datetime("2025-07-01T09:30", new_york)
    assert moment == datetime(2025, 7, 1, 13, 30, tzinfo=ZoneInfo("UTC"))
    with pytest.raises(InvalidAnswer):
        aware_datetime("2025-07-01T09:30Z", new_york)


def test_true_never_matches_the_number_one() -> None:
    # Approval refuses this condition, but a draft may hold it: True == 1 in Python, and a
    # count of 1 must not show a field meant for "yes".
    defn = parse_definition(
        {
            "sections": [
                {
                    "id": "s",
                    "fields": [
                        {"id": "n", "type": "number", "label": "N"},
                        {
                            "id": "b",
                            "type": "short_text",
                            "label": "B",
                            "condition": {"field": "n", "equals": True},
                        },
                    ],
                }
            ]
        }
    )
    assert visible_field_ids(defn, {"n": 1}) == {"n"}
