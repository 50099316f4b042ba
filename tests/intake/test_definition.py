"""A script's definition: what ``parse_definition`` accepts and refuses (with which sentence),
that it raises nothing but ``DefinitionError`` on any JSON, and what stops approval."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.scripts.definition import (
    Condition,
    ConditionKind,
    Definition,
    DefinitionError,
    FieldType,
    Sensitivity,
    approval_problems,
    empty_definition,
    parse_definition,
)
from intake.scripts.templates import TEMPLATES

Doc = dict[str, Any]


def field(field_id: str, field_type: str = "short_text", **extra: Any) -> Doc:
    return {"id": field_id, "type": field_type, "label": field_id.replace("_", " ").title()} | extra


def script(*fields: Doc, protocols: Doc | None = None) -> Doc:
    doc: Doc = {"sections": [{"id": "main", "title": "Main", "fields": list(fields)}]}
    if protocols is not None:
        doc["protocols"] = protocols
    return doc


def problems_of(doc: object) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(doc)
    return caught.value.problems


MATTER = field(
    "matter_type",
    "single_choice",
    validation={
        "choices": [
            {"value": "personal_injury", "label": "Personal injury"},
            {"value": "mass_tort", "label": "Mass tort"},
        ]
    },
)


# Well formed ---------------------------------------------------------------------------


def test_the_documented_example_parses_into_typed_fields() -> None:
    defn = parse_definition(
        {
            "read_aloud": {"greeting": "Hello", "disclaimers": ["No advice."], "closing": "Bye"},
            "notices": ["The agent gives no legal advice."],
            "sections": [
                {
                    "id": "caller",
                    "title": "About the caller",
                    "fields": [
                        field(
                            "full_name",
                            required=True,
                            sensitivity="personal",
                            validation={
                                "min_length": 2,
                                "max_length": 120,
                                "pattern": "[A-Za-z ]+",
                            },
                            condition=None,
                        ),
                        field("injured", "yes_no", required=True),
                        field(
                            "injuries",
                            "long_text",
                            sensitivity="health",
                            condition={"field": "injured", "equals": True},
                        ),
                        MATTER,
                    ],
                }
            ],
        }
    )
    assert [f.id for f in defn.fields] == ["full_name", "injured", "injuries", "matter_type"]
    injuries = defn.field("injuries")
    assert injuries.type == FieldType.LONG_TEXT
    assert injuries.sensitivity == Sensitivity.HEALTH
    assert injuries.required is False
    assert injuries.condition == Condition("injured", ConditionKind.EQUALS, (True,))
    assert defn.field("full_name").validation.max_length == 120
    assert defn.field("matter_type").validation.choice_values() == ("personal_injury", "mass_tort")
    assert defn.read_aloud.disclaimers == ("No advice.",)
    assert approval_problems(defn) == []
    assert parse_definition(defn.to_json()) == defn


def test_field_lookup_of_a_missing_id_is_a_key_error() -> None:
    defn = parse_definition(script(field("name")))
    assert defn.has_field("name") and not defn.has_field("nope")
    with pytest.raises(KeyError):
        defn.field("nope")


def test_empty_definition_round_trips_but_cannot_be_approved() -> None:
    defn = empty_definition()
    assert parse_definition(defn.to_json()) == defn
    assert any("no fields yet" in p for p in approval_problems(defn))


# Refused shapes, each with the sentence that says where and why ------------------------


BAD_SHAPES: list[tuple[str, object, str]] = [
    ("not an object", [], "The script: must be an object, not a list."),
    ("unknown top key", {"sections": [], "extra": 1}, "The script: unknown key 'extra'"),
    (
        "unknown type",
        {
            "sections": [
                {"id": "a", "fields": []},
                {"id": "b", "fields": [field("injuries", "txt")]},
            ]
        },
        "Section 2, field 'injuries': the type 'txt' is not one of short_text, long_text, phone",
    ),
    (
        "unknown field key",
        script(field("a", colour="red")),
        "Section 1, field 'a': unknown key 'colour'",
    ),
    (
        "missing label",
        script({"id": "a", "type": "yes_no"}),
        "Section 1, field 'a': 'label' is missing.",
    ),
    ("bad id", script(field("Full Name")), "Section 1, field 1: The id 'Full Name' must start"),
    ("id too long", script(field("a" * 41)), "must start with a lower-case letter"),
    (
        "duplicate field id",
        {"sections": [{"id": "a", "fields": [field("x")]}, {"id": "b", "fields": [field("x")]}]},
        "Section 2, field 'x': the id is used by another field.",
    ),
    (
        "duplicate section id",
        {"sections": [{"id": "a", "fields": []}, {"id": "a", "fields": []}]},
        "Section 2: the id 'a' is used by another section.",
    ),
    (
        "required is a string",
        script(field("a", required="yes")),
        "'required' must be true or false, not text.",
    ),
    (
        "bad sensitivity",
        script(field("a", sensitivity="secret")),
        "the sensitivity 'secret' is not one of",
    ),
    (
        "label too long",
        script(field("a", label="x" * 201)),
        "The label is 201 characters long; at most 200.",
    ),
    (
        "help too long",
        script(field("a", help="x" * 501)),
        "The help is 501 characters long; at most 500.",
    ),
    (
        "NUL in label",
        script(field("a", label="Na\x00me")),
        "The label contains a control character.",
    ),
    (
        "greeting too long",
        {"sections": [], "read_aloud": {"greeting": "x" * 2001}},
        "The read-aloud texts: The greeting is 2001 characters long; at most 2000.",
    ),
    (
        "a number is not a string",
        script(field("a", label=5)),
        "The label must be text, not a number.",
    ),
    (
        "bool is not a number",
        script(field("a", validation={"max_length": True})),
        "'max_length' must be a whole number, not true or false.",
    ),
    (
        "number bound as text",
        script(field("n", "number", validation={"min": "3"})),
        "'min' must be a number, not text.",
    ),
    (
        "date bound not ISO",
        script(field("d", "date", validation={"min": "03/04/2020"})),
        "'min' must be a date written YYYY-MM-DD.",
    ),
    (
        "validation key for another type",
        script(field("n", "number", validation={"pattern": "[0-9]+"})),
        "the validation key 'pattern' is not one a number field takes (min, max).",
    ),
    (
        "pattern does not compile",
        script(field("a", validation={"pattern": "(unclosed"})),
        "the pattern is not a valid regular expression",
    ),
    (
        "pattern too long",
        script(field("a", validation={"pattern": "a" * 201})),
        "the pattern is 201 characters long; at most 200.",
    ),
    ("choices missing", script(field("c", "single_choice")), "a choice field needs 'choices'"),
    (
        "choices empty",
        script(field("c", "single_choice", validation={"choices": []})),
        "'choices' must be a non-empty list",
    ),
    (
        "duplicate choice",
        script(
            field(
                "c",
                "multiple_choice",
                validation={
                    "choices": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]
                },
            )
        ),
        "Section 1, field 'c', choice 2: the value 'a' is used by another choice.",
    ),
    (
        "choice value too long",
        script(
            field(
                "c", "single_choice", validation={"choices": [{"value": "v" * 101, "label": "V"}]}
            )
        ),
        "The value is 101 characters long; at most 100.",
    ),
    (
        "too many choices",
        script(
            field(
                "c",
                "single_choice",
                validation={"choices": [{"value": f"v{i}", "label": "V"} for i in range(101)]},
            )
        ),
        "it has 101 choices; at most 100.",
    ),
    (
        "too many sections",
        {"sections": [{"id": f"s{i}", "fields": []} for i in range(31)]},
        "The script: it has 31 sections; at most 30.",
    ),
    (
        "too many fields",
        {"sections": [{"id": "a", "fields": [field(f"f{i}") for i in range(201)]}]},
        "it has 201 fields; at most 200.",
    ),
    (
        "condition with two tests",
        script(
            field("a", "yes_no"),
            field("b", condition={"field": "a", "equals": True, "answered": True}),
        ),
        "it needs exactly one of 'equals', 'in' or 'answered'.",
    ),
    (
        "condition answered false",
        script(field("a"), field("b", condition={"field": "a", "answered": False})),
        "'answered' can only be true.",
    ),
    (
        "condition equals a list",
        script(field("a"), field("b", condition={"field": "a", "equals": [1]})),
        "'equals' must be text, a number, or true or false, not a list.",
    ),
    (
        "keyword too long",
        script(
            field("a", "long_text"),
            protocols={"urgent": {"instruction": "Dial 911.", "keywords": ["k" * 61]}},
        ),
        "The urgent protocol: Keyword 1 is 61 characters long; at most 60.",
    ),
    (
        "too many keywords",
        script(
            field("a", "long_text"),
            protocols={
                "urgent": {"instruction": "Dial 911.", "keywords": [f"k{i}" for i in range(51)]}
            },
        ),
        "The urgent protocol: 'keywords' has 51 entries; at most 50.",
    ),
    (
        "unknown protocol",
        script(field("a"), protocols={"weather": {}}),
        "The protocols: unknown key 'weather'",
    ),
    (
        "years as text",
        script(
            field("d", "date"),
            MATTER,
            protocols={
                "statute_of_limitations": {
                    "incident_date_field": "d",
                    "matter_type_field": "matter_type",
                    "years": {"personal_injury": {"default": "two"}},
                }
            },
        ),
        "the years for 'default' must be a whole number, not text.",
    ),
]


@pytest.mark.parametrize(
    ("doc", "expected"), [(d, e) for _, d, e in BAD_SHAPES], ids=[n for n, _, _ in BAD_SHAPES]
)
def test_a_bad_shape_is_refused_with_a_sentence_naming_where(doc: object, expected: str) -> None:
    problems = problems_of(doc)
    assert any(expected in p for p in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    doc = script(field("a", "txt"), field("B"), field("c", label=""))
    problems = problems_of(doc)
    assert len(problems) == 3
    assert problems[0].startswith("Section 1, field 'a': the type 'txt'")
    assert problems[1].startswith("Section 1, field 2: The id 'B'")
    assert problems[2] == "Section 1, field 'c': The label is empty."


def test_a_hostile_document_gets_a_bounded_list_of_problems() -> None:
    doc = {"sections": [{"id": "a", "fields": [{"x": i} for i in range(200)]}]}
    problems = problems_of(doc)
    assert len(problems) == 101
    assert problems[-1].startswith("There are ") and problems[-1].endswith(" more problems.")


def test_huge_numbers_do_not_break_the_messages() -> None:
    # int → str conversion of a 5,000-digit number raises ValueError in Python 3.12.
    problems = problems_of(script(field("a", validation={"max_length": 10**5000})))
    assert any("'max_length' must be between 0 and 500." in p for p in problems)
    problems = problems_of(
        script(field("a"), field("b", condition={"field": "a", "equals": 10**5000}))
    )
    assert problems


# Any JSON at all: DefinitionError or a Definition, nothing else ---------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["short_text", "yes_no", "single_choice", "a", "equals", True]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "type",
                    "label",
                    "fields",
                    "sections",
                    "validation",
                    "condition",
                    "choices",
                    "field",
                    "equals",
                    "in",
                    "answered",
                    "protocols",
                    "urgent",
                    "keywords",
                    "value",
                ]
            )
            | st.text(max_size=10),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


def _parses_or_refuses(data: object) -> None:
    try:
        defn = parse_definition(data)
    except DefinitionError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)
    else:
        assert parse_definition(defn.to_json()) == defn
        approval_problems(defn)  # well formed: approval must not raise either


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_parse_definition_raises_only_definition_error_on_any_json(data: object) -> None:
    _parses_or_refuses(data)


def _paths(node: object, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _replace(doc: Any, path: tuple[Any, ...], value: object) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_template_with_any_part_replaced_by_any_json_parses_or_is_refused(
    data: st.DataObject,
) -> None:
    # Arbitrary JSON rarely gets past the top level; this reaches every nested reader.
    template = data.draw(st.sampled_from(sorted(TEMPLATES)))
    doc = TEMPLATES[template].definition
    path = data.draw(st.sampled_from(_paths(doc)))
    _parses_or_refuses(_replace(doc, path, data.draw(json_values)))


# Approval --------------------------------------------------------------------------------

YES_NO = field("injured", "yes_no")


def approval(doc: Doc) -> list[str]:
    return approval_problems(parse_definition(doc))


BAD_FOR_APPROVAL: list[tuple[str, Doc, str]] = [
    ("no fields", {"sections": []}, "The script has no fields yet: add at least one question."),
    (
        "empty section",
        {"sections": [{"id": "a", "fields": [field("x")]}, {"id": "b", "fields": []}]},
        "Section 'b' has no fields: add one or remove it.",
    ),
    (
        "condition on a missing field",
        script(field("a", condition={"field": "ghost", "answered": True})),
        "Field 'a' is shown depending on 'ghost', which is not a field of the script.",
    ),
    (
        "condition on itself",
        script(field("a", condition={"field": "a", "answered": True})),
        "Field 'a' is shown depending on its own answer: make it depend on another field.",
    ),
    (
        "direct loop",
        script(
            field("a", "yes_no", condition={"field": "b", "equals": True}),
            field("b", "yes_no", condition={"field": "a", "equals": True}),
        ),
        "Field 'a' is shown depending on 'b', which depends on 'a': the conditions loop.",
    ),
    (
        "loop through three fields",
        script(
            field("x", "yes_no"),
            field("a", "yes_no", condition={"field": "b", "equals": True}),
            field("b", "yes_no", condition={"field": "c", "equals": True}),
            field("c", "yes_no", condition={"field": "a", "answered": True}),
        ),
        "Field 'a' is shown depending on 'b', which depends on 'c', which depends on 'a': "
        "the conditions loop.",
    ),
    (
        "maybe on yes/no",
        script(YES_NO, field("b", condition={"field": "injured", "equals": "maybe"})),
        "Field 'b' is shown when 'injured' is 'maybe', which 'injured' cannot hold "
        "(it is a yes/no question: use true or false).",
    ),
    (
        "1 on yes/no",
        script(YES_NO, field("b", condition={"field": "injured", "equals": 1})),
        "Field 'b' is shown when 'injured' is 1, which 'injured' cannot hold",
    ),
    (
        "value not among the choices",
        script(
            MATTER,
            field("b", condition={"field": "matter_type", "in": ["personal_injury", "divorce"]}),
        ),
        "Field 'b' is shown when 'matter_type' is 'divorce', which 'matter_type' cannot hold "
        "(its choices are 'personal_injury', 'mass_tort').",
    ),
    (
        "text on a number",
        script(field("n", "number"), field("b", condition={"field": "n", "equals": "3"})),
        "which 'n' cannot hold (it takes a number).",
    ),
    (
        "equals on a phone",
        script(field("p", "phone"), field("b", condition={"field": "p", "equals": "+12125550100"})),
        "but a phone answer can only be tested for being answered.",
    ),
    (
        "min length over max",
        script(field("a", validation={"min_length": 10, "max_length": 5})),
        "Field 'a': the minimum length (10) is more than the maximum (5).",
    ),
    (
        "min over max number",
        script(field("n", "number", validation={"min": 10, "max": 2.5})),
        "Field 'n': the minimum (10) is more than the maximum (2.5).",
    ),
    (
        "min over max date",
        script(field("d", "date", validation={"min": "2024-02-01", "max": "2024-01-31"})),
        "Field 'd': the minimum ('2024-02-01') is more than the maximum ('2024-01-31').",
    ),
    (
        "more choices asked for than there are",
        script(
            field(
                "m",
                "multiple_choice",
                validation={"choices": [{"value": "a", "label": "A"}], "min_choices": 2},
            )
        ),
        "Field 'm': at least 2 choices are asked for, but it has only 1.",
    ),
    (
        "incident date field of the wrong type",
        script(
            field("incident_date"),
            MATTER,
            protocols={
                "statute_of_limitations": {
                    "incident_date_field": "incident_date",
                    "matter_type_field": "matter_type",
                    "years": {"personal_injury": {"default": 2}},
                }
            },
        ),
        "The statute-of-limitations check reads 'incident_date', a short_text field; "
        "it needs a date field.",
    ),
    (
        "statute years for a matter type that is not a choice",
        script(
            field("d", "date"),
            MATTER,
            protocols={
                "statute_of_limitations": {
                    "incident_date_field": "d",
                    "matter_type_field": "matter_type",
                    "years": {"divorce": {"default": 2}},
                }
            },
        ),
        "has limits for the matter type 'divorce', which is not a choice of 'matter_type'.",
    ),
    (
        "question field not yes/no",
        script(
            field("urgent"),
            protocols={"urgent": {"instruction": "Dial 911.", "question_field": "urgent"}},
        ),
        "The urgent check reads 'urgent', a short_text field; it needs a yes/no question.",
    ),
    (
        "watched field missing",
        script(
            field("a"),
            protocols={
                "urgent": {
                    "instruction": "Dial 911.",
                    "keywords": ["fire"],
                    "watch_fields": ["notes"],
                }
            },
        ),
        "The urgent check reads 'notes', which is not a field of the script.",
    ),
    (
        "keywords with nothing to watch",
        script(
            field("a"), protocols={"urgent": {"instruction": "Dial 911.", "keywords": ["fire"]}}
        ),
        "The urgent check has keywords but no text field to look for them in.",
    ),
    (
        "urgent with no trigger",
        script(field("a", "long_text"), protocols={"urgent": {"instruction": "Dial 911."}}),
        "The urgent check has neither keywords nor a question: add one.",
    ),
    (
        "conflict names from a yes/no",
        script(YES_NO, protocols={"conflict_check": {"name_fields": ["injured"]}}),
        "The conflict check reads 'injured', a yes_no field; it needs a text field.",
    ),
]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [(d, e) for _, d, e in BAD_FOR_APPROVAL],
    ids=[n for n, _, _ in BAD_FOR_APPROVAL],
)
def test_what_stops_approval_is_named_in_a_sentence(doc: Doc, expected: str) -> None:
    problems = approval(doc)
    assert any(expected in p for p in problems), problems


def test_a_loop_is_reported_once_however_many_fields_lead_into_it() -> None:
    doc = script(
        field("a", "yes_no", condition={"field": "b", "equals": True}),
        field("b", "yes_no", condition={"field": "c", "equals": True}),
        field("c", "yes_no", condition={"field": "a", "equals": True}),
        field("d", "yes_no", condition={"field": "c", "equals": True}),
    )
    loops = [p for p in approval(doc) if "loop" in p]
    assert loops == [
        "Field 'a' is shown depending on 'b', which depends on 'c', which depends on 'a': "
        "the conditions loop."
    ]


def test_sound_conditions_and_chains_are_approved() -> None:
    doc = script(
        YES_NO,
        field("injuries", "long_text", condition={"field": "injured", "equals": True}),
        field("treated", "yes_no", condition={"field": "injuries", "answered": True}),
        field("where", condition={"field": "treated", "in": [True]}),
        MATTER,
        field("product", condition={"field": "matter_type", "equals": "mass_tort"}),
        field("n", "number", validation={"min": 1, "max": 1}),
        field("count", condition={"field": "n", "in": [1, 2.5]}),
    )
    assert approval(doc) == []


def test_parse_keeps_draft_problems_for_approval_to_find() -> None:
    # A condition on a field not written yet is a draft the builder must be able to save.
    defn = parse_definition(script(field("a", condition={"field": "later", "answered": True})))
    assert isinstance(defn, Definition)
    assert approval_problems(defn)


def test_the_optional_parts_default_but_must_have_their_shape_when_present() -> None:
    defn = parse_definition(script(field("a")))
    assert defn.read_aloud.greeting == "" and defn.notices == () and defn.protocols.urgent is None
    doc = script(field("a")) | {"read_aloud": None, "notices": "Be nice."}
    assert problems_of(doc) == [
        "The read-aloud texts: must be an object, not null.",
        "The script: 'notices' must be a list of texts, not text.",
    ]
