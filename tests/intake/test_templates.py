"""The built-in templates and the protocols they carry: each template is approvable as it
stands and round-trips; the statute warning's arithmetic and wording, the urgent check's
matching, and the names sent to the conflict check."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.scripts.answers import clean_answers, visible_field_ids
from intake.scripts.definition import (
    Definition,
    FieldType,
    Sensitivity,
    approval_problems,
    parse_definition,
)
from intake.scripts.protocols import (
    UrgentMatch,
    UrgentTrigger,
    conflict_names,
    statute_warning,
    urgent_match,
)
from intake.scripts.templates import TEMPLATES


def template(key: str) -> Definition:
    return parse_definition(TEMPLATES[key].definition)


LEGAL = template("legal_intake")
HEALTH = template("healthcare_access")


# The templates ----------------------------------------------------------------------------


def test_there_are_the_four_built_in_templates() -> None:
    assert sorted(TEMPLATES) == [
        "general_message",
        "healthcare_access",
        "home_services",
        "legal_intake",
    ]
    for key, t in TEMPLATES.items():
        assert t.key == key and t.name and t.description


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_a_template_is_approvable_and_round_trips(key: str) -> None:
    defn = template(key)
    assert approval_problems(defn) == []
    assert parse_definition(defn.to_json()) == defn
    assert defn.to_json() == parse_definition(defn.to_json()).to_json()
    assert defn.read_aloud.greeting and defn.read_aloud.closing


def test_legal_intake_asks_what_the_firm_needs() -> None:
    ids = {f.id for f in LEGAL.fields}
    assert {
        "full_name",
        "phone",
        "email",
        "state",
        "matter_type",
        "incident_date",
        "what_happened",
        "injured",
        "injuries",
        "treatment_sought",
        "other_parties",
        "prior_representation",
        "prior_attorney",
        "heard_about",
    } <= ids
    states = LEGAL.field("state").validation.choice_values()
    assert len(states) == 51 and all(len(s) == 2 and s.isupper() for s in states)
    assert LEGAL.field("injuries").sensitivity == Sensitivity.HEALTH
    assert LEGAL.field("treatment_sought").sensitivity == Sensitivity.HEALTH
    assert LEGAL.field("full_name").sensitivity == Sensitivity.PERSONAL
    assert any("no legal advice" in n for n in LEGAL.notices)
    sol = LEGAL.protocols.statute_of_limitations
    assert sol is not None
    assert sol.years_for("personal_injury", "NY") == 3
    assert sol.years_for("personal_injury", "ME") == 6
    assert sol.years_for("personal_injury", "OH") == 2
    assert sol.years_for("mass_tort", "NY") == 2
    assert LEGAL.protocols.conflict_check is not None
    assert LEGAL.protocols.conflict_check.name_fields == ("full_name", "other_parties")


def test_healthcare_access_holds_no_clinical_free_text() -> None:
    # Minimum necessary: no symptom or diagnosis fields, only one short free-text field,
    # and that one watched for emergencies.
    free_text = [f for f in HEALTH.fields if f.type in (FieldType.SHORT_TEXT, FieldType.LONG_TEXT)]
    assert not [f for f in HEALTH.fields if f.type == FieldType.LONG_TEXT]
    assert not [f for f in HEALTH.fields if "symptom" in f.id or "diagnos" in f.id]
    urgent = HEALTH.protocols.urgent
    assert urgent is not None and urgent.escalate and urgent.question_field == "urgent"
    assert urgent.watch_fields == ("anything_else",)
    assert {f.id for f in free_text} >= {"anything_else"}
    assert {
        "chest pain",
        "trouble breathing",
        "can't breathe",
        "suicidal",
        "stroke",
        "severe bleeding",
        "unconscious",
        "overdose",
    } <= set(urgent.keywords)
    assert "911" in urgent.instruction and "page the on-call clinician" in urgent.instruction
    assert HEALTH.field("reason").validation.choice_values() == (
        "appointment",
        "referral",
        "prescription_refill",
        "billing",
    )
    assert any("no clinical advice" in n for n in HEALTH.notices)


def _answer_strategy(field_type: FieldType, choices: tuple[str, ...]) -> st.SearchStrategy[Any]:
    junk = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12)
    good: dict[FieldType, st.SearchStrategy[Any]] = {
        FieldType.SHORT_TEXT: st.text(max_size=30),
        FieldType.LONG_TEXT: st.text(max_size=60),
        FieldType.PHONE: st.sampled_from(["(212) 555-0100", "+442079460958", "555"]),
        FieldType.EMAIL: st.sampled_from(["a@example.com", "nope"]),
        FieldType.DATE: st.dates().map(date.isoformat),
        FieldType.DATETIME: st.sampled_from(["2025-01-02T03:04", "2025-13-01T00:00"]),
        FieldType.NUMBER: st.integers() | st.floats() | st.text(max_size=5),
        FieldType.YES_NO: st.sampled_from([True, False, "yes", "no", 0]),
        FieldType.SINGLE_CHOICE: st.sampled_from((*choices, "zzz")),
        FieldType.MULTIPLE_CHOICE: st.lists(st.sampled_from((*choices, "zzz")), max_size=4),
        FieldType.ADDRESS: st.fixed_dictionaries(
            {"line1": st.text(max_size=10)},
            optional={"city": st.text(max_size=5), "x": st.just("")},
        ),
    }
    return good[field_type] | junk


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_answers_to_a_template_clean_without_raising(data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(TEMPLATES)))
    defn = template(key)
    answers = {
        f.id: data.draw(_answer_strategy(f.type, f.validation.choice_values()))
        for f in defn.fields
        if data.draw(st.booleans())
    }
    complete = data.draw(st.booleans())
    result = clean_answers(defn, answers, complete=complete)
    visible = visible_field_ids(defn, result.values)
    assert set(result.values) <= visible
    assert set(result.errors) <= {f.id for f in defn.fields}
    # The protocols read whatever cleaned, without raising.
    statute_warning(defn, result.values, today=date(2026, 1, 1))
    urgent_match(defn, result.values)
    assert len(conflict_names(defn, result.values)) <= 20


# Statute of limitations ---------------------------------------------------------------------


def legal_values(**changes: Any) -> dict[str, Any]:
    return {
        "incident_date": "2023-03-03",
        "matter_type": "personal_injury",
        "state": "NY",
    } | changes


def test_a_passed_limit_is_flagged_for_an_attorney() -> None:
    assert statute_warning(LEGAL, legal_values(), today=date(2026, 4, 1)) == (
        "The incident was on 3 March 2023: the usual limit for personal injury in NY is "
        "3 years (ends 3 March 2026) — already passed. Flag for an attorney today; do not "
        "advise the caller."
    )


def test_a_limit_ending_soon_says_in_how_many_days() -> None:
    values = legal_values(incident_date="2024-03-03", state="CA")
    assert statute_warning(LEGAL, values, today=date(2026, 1, 17)) == (
        "The incident was on 3 March 2024: the usual limit for personal injury in CA is "
        "2 years (ends 3 March 2026) — that is in 45 days. Flag for an attorney today; do not "
        "advise the caller."
    )
    assert "— that is today." in (statute_warning(LEGAL, values, today=date(2026, 3, 3)) or "")
    assert "— that is in 1 day." in (statute_warning(LEGAL, values, today=date(2026, 3, 2)) or "")


def test_the_warning_starts_warn_within_days_before_the_limit() -> None:
    values = legal_values(incident_date="2024-03-03", state="CA")  # ends 3 March 2026
    assert statute_warning(LEGAL, values, today=date(2025, 12, 3)) is not None  # 90 days left
    assert statute_warning(LEGAL, values, today=date(2025, 12, 2)) is None  # 91 days left


def test_a_state_without_its_own_limit_uses_the_default() -> None:
    warning = statute_warning(LEGAL, legal_values(state="OH"), today=date(2025, 4, 1))
    assert (
        warning is not None and "in OH is 2 years (ends 3 March 2025) — already passed" in warning
    )
    # New York's three years: not yet within the warning window on the same day.
    assert statute_warning(LEGAL, legal_values(), today=date(2025, 4, 1)) is None


def test_one_year_reads_in_the_singular_and_29_february_ends_on_28_february() -> None:
    warning = statute_warning(
        LEGAL, legal_values(incident_date="2024-02-29", state="KY"), today=date(2025, 3, 1)
    )
    assert warning is not None
    assert "in KY is 1 year (ends 28 February 2025) — already passed" in warning


def test_the_matter_type_is_named_by_its_label() -> None:
    warning = statute_warning(LEGAL, legal_values(matter_type="mass_tort"), today=date(2026, 1, 1))
    assert (
        warning is not None
        and "limit for mass tort (a drug, device or product) in NY is 2 years" in warning
    )


@pytest.mark.parametrize(
    "values",
    [
        legal_values(incident_date=None),
        legal_values(matter_type=None),
        legal_values(state=None),
        legal_values(incident_date="2030-01-01"),
        legal_values(matter_type="divorce"),
        {},
    ],
    ids=["no date", "no matter type", "no state", "future date", "unknown matter", "nothing"],
)
def test_no_warning_without_every_input(values: dict[str, Any]) -> None:
    values = {k: v for k, v in values.items() if v is not None}
    assert statute_warning(LEGAL, values, today=date(2030, 6, 1)) is None


def test_no_warning_without_the_protocol() -> None:
    assert statute_warning(HEALTH, legal_values(), today=date(2030, 1, 1)) is None


# Urgent calls -------------------------------------------------------------------------------


def test_yes_to_the_urgent_question_triggers_the_instruction() -> None:
    match = urgent_match(HEALTH, {"urgent": True, "anything_else": "chest pain"})
    assert match == UrgentMatch(
        trigger=UrgentTrigger.QUESTION,
        field_id="urgent",
        keyword=None,
        instruction=HEALTH.protocols.urgent.instruction if HEALTH.protocols.urgent else "",
        escalate=True,
    )


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("she has CHEST PAIN since this morning", "chest pain"),
        ("says he CAN’T  BREATHE", "can't breathe"),  # curly apostrophe, two spaces
        ("can't\nbreathe", "can't breathe"),
        ("worried about a ｓｔｒｏｋｅ", "stroke"),  # full-width letters, NFKC
        ("took an overdose.", "overdose"),
        ("Suicidal thoughts", "suicidal"),
    ],
)
def test_a_keyword_in_the_watched_field_triggers_the_instruction(text: str, keyword: str) -> None:
    match = urgent_match(HEALTH, {"urgent": False, "anything_else": text})
    assert match is not None
    assert (match.trigger, match.field_id, match.keyword) == (
        UrgentTrigger.KEYWORD,
        "anything_else",
        keyword,
    )
    assert match.escalate is True


@pytest.mark.parametrize(
    "text",
    ["keystroke logging question", "strokes of luck", "nonsuicidal", "chest painting class", ""],
)
def test_keywords_match_whole_words_only(text: str) -> None:
    assert urgent_match(HEALTH, {"urgent": False, "anything_else": text}) is None


def test_keywords_are_looked_for_in_watched_fields_only() -> None:
    # full_name is not watched, whatever it says.
    assert urgent_match(HEALTH, {"full_name": "Stroke", "urgent": False}) is None


def test_without_watch_fields_every_long_text_field_is_watched() -> None:
    defn = parse_definition(
        {
            "sections": [
                {
                    "id": "s",
                    "fields": [
                        {"id": "name", "type": "short_text", "label": "Name"},
                        {"id": "notes", "type": "long_text", "label": "Notes"},
                        {"id": "more", "type": "long_text", "label": "More"},
                    ],
                }
            ],
            "protocols": {"urgent": {"keywords": ["fire"], "instruction": "Dial 911."}},
        }
    )
    match = urgent_match(defn, {"name": "fire", "notes": "all fine", "more": "a FIRE next door"})
    assert match is not None and match.field_id == "more" and match.escalate is False
    assert urgent_match(defn, {"name": "fire"}) is None
    assert urgent_match(LEGAL, {"what_happened": "chest pain"}) is None  # no urgent protocol


# Conflict check -----------------------------------------------------------------------------


def test_conflict_names_split_long_text_and_drop_repeats() -> None:
    values = {
        "full_name": "Ada  Lovelace",
        "other_parties": (
            "Acme Corp.\r\nJohn Smith, Jane Doe; Bob and Alice\nada lovelace\n - \nAnderson Ltd"
        ),
    }
    assert conflict_names(LEGAL, values) == [
        "Ada Lovelace",
        "Acme Corp",
        "John Smith",
        "Jane Doe",
        "Bob",
        "Alice",
        "Anderson Ltd",
    ]


def test_a_short_text_name_is_kept_whole() -> None:
    assert conflict_names(LEGAL, {"full_name": "Smith, John and Sons"}) == ["Smith, John and Sons"]


def test_conflict_names_are_capped_in_length_and_number() -> None:
    values = {"full_name": "N" * 300, "other_parties": "\n".join(f"Party {i}" for i in range(40))}
    names = conflict_names(LEGAL, values)
    assert len(names) == 20
    assert names[0] == "N" * 200
    assert names[-1] == "Party 18"


def test_no_names_without_the_protocol_or_answers() -> None:
    assert conflict_names(HEALTH, {"full_name": "Ada"}) == []
    assert conflict_names(LEGAL, {}) == []
