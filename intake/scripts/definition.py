"""A script version's definition: its shape, read from untrusted JSON, and what stops approval.

The definition is a JSON document (a JSONField; also posted by API clients and produced by
the browser builder). ``parse_definition`` is the one door into ``Definition``: it checks the
shape strictly (unknown keys, wrong types and oversized texts refused) and reports every
problem at once, as sentences a script author can act on, so the builder can show them all
beside the script rather than one per save. It raises ``DefinitionError`` and nothing else,
whatever it is given.

A definition can be well formed and still not fit to use: a condition naming a missing field,
conditions that loop, a protocol reading a field of the wrong type. ``approval_problems``
lists those; a draft may have them, an approved version may not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

ID_FORM = re.compile(r"[a-z][a-z0-9_]{0,39}")

MAX_LABEL = 200
MAX_HELP = 500
MAX_READ_ALOUD = 2000
MAX_TEXTS = 20  # disclaimers, notices
MAX_SECTIONS = 30
MAX_FIELDS = 200
MAX_CHOICES = 100
MAX_CHOICE_VALUE = 100
MAX_KEYWORDS = 50
MAX_KEYWORD = 60
MAX_PATTERN = 200
MAX_CONDITION_VALUES = 100
# Answer lengths no field may exceed, whatever its own ``max_length`` says: a short text is a
# line on a form, a long text a few paragraphs.
SHORT_TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 10_000
# Numbers beyond this lose integer precision as JSON doubles; no intake answer is that large.
NUMBER_LIMIT = 10**15
# A hostile document can hold thousands of mistakes; past this many the rest are counted.
MAX_PROBLEMS = 100

DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATETIME_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")


class FieldType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    PHONE = "phone"
    EMAIL = "email"
    DATE = "date"
    DATETIME = "datetime"
    NUMBER = "number"
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    ADDRESS = "address"


class Sensitivity(StrEnum):
    """How carefully an answer is handled: personal data, or health information (HIPAA)."""

    ORDINARY = "ordinary"
    PERSONAL = "personal"
    HEALTH = "health"


class ConditionKind(StrEnum):
    EQUALS = "equals"
    IN = "in"
    ANSWERED = "answered"


_TYPE_NAMES = frozenset(t.value for t in FieldType)
_SENSITIVITY_NAMES = frozenset(s.value for s in Sensitivity)
TEXT_TYPES = frozenset({FieldType.SHORT_TEXT, FieldType.LONG_TEXT})
CHOICE_TYPES = frozenset({FieldType.SINGLE_CHOICE, FieldType.MULTIPLE_CHOICE})
# Answers that a condition can only test for being there: comparing a phone number or an
# address with a fixed value is never what an author means.
ANSWERED_ONLY_TYPES = frozenset({FieldType.PHONE, FieldType.EMAIL, FieldType.ADDRESS})

_VALIDATION_KEYS: Mapping[FieldType, tuple[str, ...]] = {
    FieldType.SHORT_TEXT: ("min_length", "max_length", "pattern"),
    FieldType.LONG_TEXT: ("min_length", "max_length", "pattern"),
    FieldType.PHONE: (),
    FieldType.EMAIL: (),
    FieldType.DATE: ("min", "max"),
    FieldType.DATETIME: ("min", "max"),
    FieldType.NUMBER: ("min", "max"),
    FieldType.YES_NO: (),
    FieldType.SINGLE_CHOICE: ("choices",),
    FieldType.MULTIPLE_CHOICE: ("choices", "min_choices", "max_choices"),
    FieldType.ADDRESS: (),
}

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Validation:
    """The checks an answer must pass; only the keys its field's type takes are ever set.

    ``min``/``max`` are numbers for a number field and ISO strings (``YYYY-MM-DD``,
    ``YYYY-MM-DDTHH:MM``) for a date or datetime field.
    """

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min: int | float | str | None = None
    max: int | float | str | None = None
    choices: tuple[Choice, ...] = ()
    min_choices: int | None = None
    max_choices: int | None = None

    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)


@dataclass(frozen=True)
class Condition:
    """When a field is shown: the answer to ``field`` equals ``values[0]`` (EQUALS), is one of
    ``values`` (IN), or is there at all (ANSWERED, no values). For a multiple-choice target
    "equals" and "in" mean that one of the ticked values is the value, or one of them."""

    field: str
    kind: ConditionKind
    values: tuple[Scalar, ...] = ()


@dataclass(frozen=True)
class Field:
    id: str
    type: FieldType
    label: str
    help: str = ""
    required: bool = False
    sensitivity: Sensitivity = Sensitivity.ORDINARY
    validation: Validation = Validation()
    condition: Condition | None = None


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    fields: tuple[Field, ...] = ()


@dataclass(frozen=True)
class ReadAloud:
    """What the agent reads to every caller, word for word."""

    greeting: str = ""
    disclaimers: tuple[str, ...] = ()
    closing: str = ""


@dataclass(frozen=True)
class StatuteOfLimitations:
    """Years allowed to bring a claim, per matter type (a choice value) and state (a choice
    value, or ``"default"``); warn ``warn_within_days`` before the limit ends. Without a
    ``state_field`` each matter type's ``"default"`` applies."""

    incident_date_field: str
    matter_type_field: str
    state_field: str | None
    years: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    warn_within_days: int = 90

    def years_for(self, matter_type: str, state: str | None) -> int | None:
        for matter, by_state in self.years:
            if matter == matter_type:
                table = dict(by_state)
                return table.get(state or "default", table.get("default"))
        return None


@dataclass(frozen=True)
class UrgentProtocol:
    """What makes a call urgent (a keyword in a watched field, or "yes" to a question) and
    what the agent does then. ``watch_fields=None`` watches every long-text field."""

    instruction: str
    keywords: tuple[str, ...] = ()
    question_field: str | None = None
    watch_fields: tuple[str, ...] | None = None
    escalate: bool = False


@dataclass(frozen=True)
class ConflictCheck:
    name_fields: tuple[str, ...]


@dataclass(frozen=True)
class Protocols:
    statute_of_limitations: StatuteOfLimitations | None = None
    urgent: UrgentProtocol | None = None
    conflict_check: ConflictCheck | None = None


@dataclass(frozen=True)
class Definition:
    read_aloud: ReadAloud = ReadAloud()
    notices: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    protocols: Protocols = Protocols()

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        """Every field, section by section, in order."""
        return tuple(f for section in self.sections for f in section.fields)

    @cached_property
    def _by_id(self) -> dict[str, Field]:
        return {f.id: f for f in self.fields}

    def field(self, field_id: str) -> Field:
        """The field with ``field_id``; ``KeyError`` when there is none."""
        return self._by_id[field_id]

    def has_field(self, field_id: str) -> bool:
        return field_id in self._by_id

    def to_json(self) -> dict[str, Any]:
        """The canonical JSON form: ``parse_definition(d.to_json()) == d``."""
        return {
            "read_aloud": {
                "greeting": self.read_aloud.greeting,
                "disclaimers": list(self.read_aloud.disclaimers),
                "closing": self.read_aloud.closing,
            },
            "notices": list(self.notices),
            "sections": [
                {"id": s.id, "title": s.title, "fields": [_field_json(f) for f in s.fields]}
                for s in self.sections
            ],
            "protocols": _protocols_json(self.protocols),
        }


def _field_json(f: Field) -> dict[str, Any]:
    v = f.validation
    validation: dict[str, Any] = {
        key: getattr(v, key)
        for key in ("min_length", "max_length", "pattern", "min", "max")
        if getattr(v, key) is not None
    }
    if v.choices:
        validation["choices"] = [{"value": c.value, "label": c.label} for c in v.choices]
    for key in ("min_choices", "max_choices"):
        if getattr(v, key) is not None:
            validation[key] = getattr(v, key)
    condition: dict[str, Any] | None = None
    if f.condition is not None:
        c = f.condition
        condition = {"field": c.field}
        if c.kind == ConditionKind.EQUALS:
            condition["equals"] = c.values[0]
        elif c.kind == ConditionKind.IN:
            condition["in"] = list(c.values)
        else:
            condition["answered"] = True
    return {
        "id": f.id,
        "type": f.type.value,
        "label": f.label,
        "help": f.help,
        "required": f.required,
        "sensitivity": f.sensitivity.value,
        "validation": validation,
        "condition": condition,
    }


def _protocols_json(p: Protocols) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if p.statute_of_limitations is not None:
        s = p.statute_of_limitations
        out["statute_of_limitations"] = {
            "incident_date_field": s.incident_date_field,
            "matter_type_field": s.matter_type_field,
            **({"state_field": s.state_field} if s.state_field is not None else {}),
            "years": {matter: dict(by_state) for matter, by_state in s.years},
            "warn_within_days": s.warn_within_days,
        }
    if p.urgent is not None:
        u = p.urgent
        urgent: dict[str, Any] = {"keywords": list(u.keywords), "instruction": u.instruction}
        if u.question_field is not None:
            urgent["question_field"] = u.question_field
        if u.watch_fields is not None:
            urgent["watch_fields"] = list(u.watch_fields)
        urgent["escalate"] = u.escalate
        out["urgent"] = urgent
    if p.conflict_check is not None:
        out["conflict_check"] = {"name_fields": list(p.conflict_check.name_fields)}
    return out


def empty_definition() -> Definition:
    """A new script: one empty section for the builder to fill."""
    return Definition(sections=(Section(id="questions", title="Questions"),))


class DefinitionError(ValueError):
    """A definition that is not well formed; ``problems`` lists every problem, one sentence
    each, naming where it is."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


# Reading untrusted JSON ------------------------------------------------------------------


def parse_definition(data: object) -> Definition:
    """``data`` (decoded JSON, untrusted) as a ``Definition``, or ``DefinitionError`` listing
    every problem. Never raises anything else."""
    reader = _Reader()
    definition = reader.definition(data)
    if reader.problems:
        problems = reader.problems[:MAX_PROBLEMS]
        if len(reader.problems) > MAX_PROBLEMS:
            problems.append(f"There are {len(reader.problems) - MAX_PROBLEMS} more problems.")
        raise DefinitionError(problems)
    return definition


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "something that is not JSON"


def show(value: object) -> str:
    """``value`` quoted for a message, cut short; safe for any value (a 5,000-digit integer
    cannot even be turned into a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) >= NUMBER_LIMIT:
            return "a very large number"
        return repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    return _kind(value)


def has_unstorable_character(text: str) -> bool:
    """Control characters other than newline and tab (NUL cannot even be stored in
    PostgreSQL's JSON), and lone surrogates, which are not UTF-8."""
    return any(
        (ord(ch) < 32 and ch not in "\n\t")
        or 0x7F <= ord(ch) <= 0x9F
        or 0xD800 <= ord(ch) <= 0xDFFF
        for ch in text
    )


def is_number(value: object) -> bool:
    """A JSON number: not a bool, finite, and small enough to be exact."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (not isinstance(value, float) or math.isfinite(value))
        and abs(value) < NUMBER_LIMIT
    )


def parse_date(text: str) -> date | None:
    if not DATE_FORM.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_local_datetime(text: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM``, a wall-clock time with no offset, as a naive datetime."""
    if not DATETIME_FORM.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class _Reader:
    """Walks the document once, collecting problems; each method returns its best reading
    so that later parts are still checked."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def obj(
        self, value: object, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(where, f"must be an object, not {_kind(value)}.")
            return None
        for key in value:
            if key not in allowed:
                self.problem(where, f"unknown key {show(key)} (the keys are {', '.join(allowed)}).")
        for key in required:
            if key not in value:
                self.problem(where, f"{key!r} is missing.")
        return value

    def text(
        self, value: object, where: str, what: str, limit: int, *, blank_ok: bool = True
    ) -> str:
        if not isinstance(value, str):
            self.problem(where, f"{what} must be text, not {_kind(value)}.")
            return ""
        value = value.strip()
        if len(value) > limit:
            self.problem(where, f"{what} is {len(value)} characters long; at most {limit}.")
        elif has_unstorable_character(value):
            self.problem(where, f"{what} contains a control character.")
        elif not value and not blank_ok:
            self.problem(where, f"{what} is empty.")
        return value

    def texts(
        self, value: object, where: str, key: str, item: str, limit: int, count: int
    ) -> list[str]:
        if not isinstance(value, list):
            self.problem(where, f"{key!r} must be a list of texts, not {_kind(value)}.")
            return []
        if len(value) > count:
            self.problem(where, f"{key!r} has {len(value)} entries; at most {count}.")
            return []
        return [
            self.text(entry, where, f"{item} {n}", limit, blank_ok=False)
            for n, entry in enumerate(value, 1)
        ]

    def ident(self, value: object, where: str, what: str) -> str:
        if not isinstance(value, str):
            self.problem(where, f"{what} must be text, not {_kind(value)}.")
            return ""
        if not ID_FORM.fullmatch(value):
            self.problem(
                where,
                f"{what} {show(value)} must start with a lower-case letter and hold only "
                "lower-case letters, digits and _ (at most 40).",
            )
        return value

    def integer(self, value: object, where: str, what: str, low: int, high: int) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(where, f"{what} must be a whole number, not {_kind(value)}.")
            return None
        if not low <= value <= high:
            self.problem(where, f"{what} must be between {low} and {high}.")
            return None
        return value

    def boolean(self, value: object, where: str, what: str) -> bool:
        if not isinstance(value, bool):
            self.problem(where, f"{what} must be true or false, not {_kind(value)}.")
            return False
        return value

    # The document ----------------------------------------------------------------------

    def definition(self, data: object) -> Definition:
        where = "The script"
        doc = self.obj(data, where, ("read_aloud", "notices", "sections", "protocols"))
        if doc is None:
            return Definition()
        read_aloud = self.read_aloud(doc.get("read_aloud", {}))
        notices = self.texts(
            doc.get("notices", []), where, "notices", "Notice", MAX_READ_ALOUD, MAX_TEXTS
        )
        sections = self.sections(doc.get("sections", []))
        protocols = self.protocols(doc.get("protocols", {}))
        return Definition(read_aloud, tuple(notices), sections, protocols)

    def read_aloud(self, value: object) -> ReadAloud:
        where = "The read-aloud texts"
        doc = self.obj(value, where, ("greeting", "disclaimers", "closing"))
        if doc is None:
            return ReadAloud()
        return ReadAloud(
            greeting=self.text(doc.get("greeting", ""), where, "The greeting", MAX_READ_ALOUD),
            disclaimers=tuple(
                self.texts(
                    doc.get("disclaimers", []),
                    where,
                    "disclaimers",
                    "Disclaimer",
                    MAX_READ_ALOUD,
                    MAX_TEXTS,
                )
            ),
            closing=self.text(doc.get("closing", ""), where, "The closing", MAX_READ_ALOUD),
        )

    def sections(self, value: object) -> tuple[Section, ...]:
        where = "The script"
        if not isinstance(value, list):
            self.problem(where, f"'sections' must be a list, not {_kind(value)}.")
            return ()
        if len(value) > MAX_SECTIONS:
            self.problem(where, f"it has {len(value)} sections; at most {MAX_SECTIONS}.")
            return ()
        sections = [self.section(item, n) for n, item in enumerate(value, 1)]
        count = sum(len(s.fields) for s in sections)
        if count > MAX_FIELDS:
            self.problem(where, f"it has {count} fields; at most {MAX_FIELDS}.")
        seen_sections: set[str] = set()
        seen_fields: set[str] = set()
        for n, section in enumerate(sections, 1):
            if section.id and section.id in seen_sections:
                self.problem(f"Section {n}", f"the id {section.id!r} is used by another section.")
            seen_sections.add(section.id)
            for f in section.fields:
                if f.id and f.id in seen_fields:
                    self.problem(f"Section {n}, field {f.id!r}", "the id is used by another field.")
                seen_fields.add(f.id)
        return tuple(sections)

    def section(self, value: object, n: int) -> Section:
        where = f"Section {n}"
        doc = self.obj(value, where, ("id", "title", "fields"), ("id", "fields"))
        if doc is None:
            return Section(id="", title="")
        section_id = self.ident(doc.get("id", ""), where, "The id") if "id" in doc else ""
        title = self.text(doc.get("title", ""), where, "The title", MAX_LABEL)
        raw_fields = doc.get("fields", [])
        if not isinstance(raw_fields, list):
            self.problem(where, f"'fields' must be a list, not {_kind(raw_fields)}.")
            return Section(section_id, title)
        if len(raw_fields) > MAX_FIELDS:
            self.problem(where, f"it has {len(raw_fields)} fields; at most {MAX_FIELDS}.")
            return Section(section_id, title)
        fields = tuple(self.field(item, n, m) for m, item in enumerate(raw_fields, 1))
        return Section(section_id, title, fields)

    def field(self, value: object, n: int, m: int) -> Field:
        where = f"Section {n}, field {m}"
        raw_id = value.get("id") if isinstance(value, dict) else None
        if isinstance(raw_id, str) and ID_FORM.fullmatch(raw_id):
            where = f"Section {n}, field {raw_id!r}"
        doc = self.obj(
            value,
            where,
            ("id", "type", "label", "help", "required", "sensitivity", "validation", "condition"),
            ("id", "type", "label"),
        )
        if doc is None:
            return Field(id="", type=FieldType.SHORT_TEXT, label="")
        field_id = self.ident(doc["id"], where, "The id") if "id" in doc else ""
        field_type = FieldType.SHORT_TEXT
        raw_type = doc.get("type")
        if "type" in doc:
            if isinstance(raw_type, str) and raw_type in _TYPE_NAMES:
                field_type = FieldType(raw_type)
            else:
                self.problem(
                    where,
                    f"the type {show(raw_type)} is not one of "
                    f"{', '.join(t.value for t in FieldType)}.",
                )
                raw_type = None
        label = ""
        if "label" in doc:
            label = self.text(doc["label"], where, "The label", MAX_LABEL, blank_ok=False)
        help_text = self.text(doc.get("help", ""), where, "The help", MAX_HELP)
        required = self.boolean(doc.get("required", False), where, "'required'")
        sensitivity = Sensitivity.ORDINARY
        raw_sensitivity = doc.get("sensitivity", "ordinary")
        if isinstance(raw_sensitivity, str) and raw_sensitivity in _SENSITIVITY_NAMES:
            sensitivity = Sensitivity(raw_sensitivity)
        else:
            self.problem(
                where,
                f"the sensitivity {show(raw_sensitivity)} is not one of "
                f"{', '.join(s.value for s in Sensitivity)}.",
            )
        validation = Validation()
        # An unknown type says nothing about which checks apply; they are not read.
        if raw_type is not None:
            validation = self.validation(doc.get("validation"), where, field_type)
        condition = self.condition(doc.get("condition"), where)
        return Field(
            field_id, field_type, label, help_text, required, sensitivity, validation, condition
        )

    def validation(self, value: object, where: str, field_type: FieldType) -> Validation:
        keys = _VALIDATION_KEYS[field_type]
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.problem(where, f"'validation' must be an object, not {_kind(value)}.")
            return Validation()
        for key in value:
            if key not in keys:
                self.problem(
                    where,
                    f"the validation key {show(key)} is not one a {field_type} field takes "
                    f"({', '.join(keys) or 'it takes none'}).",
                )
        if field_type in CHOICE_TYPES and "choices" not in value:
            self.problem(where, "a choice field needs 'choices' in its validation.")
        limit = LONG_TEXT_LIMIT if field_type == FieldType.LONG_TEXT else SHORT_TEXT_LIMIT
        found: dict[str, Any] = {}
        for key in keys:
            if key not in value:
                continue
            raw = value[key]
            if key in ("min_length", "max_length"):
                found[key] = self.integer(raw, where, f"'{key}'", 0, limit)
            elif key == "pattern":
                found[key] = self.pattern(raw, where)
            elif key in ("min", "max"):
                found[key] = self.bound(raw, where, key, field_type)
            elif key == "choices":
                found[key] = self.choices(raw, where)
            else:
                found[key] = self.integer(raw, where, f"'{key}'", 0, MAX_CHOICES)
        found = {key: v for key, v in found.items() if v is not None}
        return Validation(**found)

    def pattern(self, value: object, where: str) -> str | None:
        if not isinstance(value, str):
            self.problem(where, f"the pattern must be text, not {_kind(value)}.")
            return None
        if len(value) > MAX_PATTERN:
            self.problem(where, f"the pattern is {len(value)} characters long; at most 200.")
            return None
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError, ValueError) as error:
            self.problem(where, f"the pattern is not a valid regular expression ({error}).")
            return None
        return value

    def bound(self, value: object, where: str, key: str, field_type: FieldType) -> Any:
        if field_type == FieldType.NUMBER:
            if not is_number(value):
                self.problem(where, f"'{key}' must be a number, not {_kind(value)}.")
                return None
            return value
        reader = parse_date if field_type == FieldType.DATE else parse_local_datetime
        form = "YYYY-MM-DD" if field_type == FieldType.DATE else "YYYY-MM-DDTHH:MM"
        if not isinstance(value, str) or reader(value) is None:
            self.problem(where, f"'{key}' must be a {field_type} written {form}.")
            return None
        return value

    def choices(self, value: object, where: str) -> tuple[Choice, ...] | None:
        if not isinstance(value, list) or not value:
            self.problem(where, "'choices' must be a non-empty list of {value, label} objects.")
            return None
        if len(value) > MAX_CHOICES:
            self.problem(where, f"it has {len(value)} choices; at most {MAX_CHOICES}.")
            return None
        choices: list[Choice] = []
        seen: set[str] = set()
        for n, item in enumerate(value, 1):
            here = f"{where}, choice {n}"
            doc = self.obj(item, here, ("value", "label"), ("value", "label"))
            if doc is None:
                continue
            choice_value = self.text(
                doc.get("value", ""), here, "The value", MAX_CHOICE_VALUE, blank_ok=False
            )
            label = self.text(doc.get("label", ""), here, "The label", MAX_LABEL, blank_ok=False)
            if choice_value in seen:
                self.problem(here, f"the value {show(choice_value)} is used by another choice.")
            seen.add(choice_value)
            choices.append(Choice(choice_value, label))
        return tuple(choices)

    def condition(self, value: object, where: str) -> Condition | None:
        if value is None:
            return None
        kinds = tuple(k.value for k in ConditionKind)
        doc = self.obj(value, f"{where}, condition", ("field", *kinds), ("field",))
        if doc is None:
            return None
        here = f"{where}, condition"
        target = self.ident(doc.get("field", ""), here, "The field")
        present = [k for k in kinds if k in doc]
        if len(present) != 1:
            self.problem(here, "it needs exactly one of 'equals', 'in' or 'answered'.")
            return None
        kind = ConditionKind(present[0])
        raw = doc[kind.value]
        if kind == ConditionKind.ANSWERED:
            if raw is not True:
                self.problem(here, "'answered' can only be true.")
            return Condition(target, kind)
        if kind == ConditionKind.EQUALS:
            return Condition(target, kind, (self.scalar(raw, here, "'equals'"),))
        if not isinstance(raw, list) or not raw or len(raw) > MAX_CONDITION_VALUES:
            self.problem(
                here, f"'in' must be a list of 1 to {MAX_CONDITION_VALUES} values to match."
            )
            return Condition(target, kind, ("",))
        return Condition(target, kind, tuple(self.scalar(v, here, "A value of 'in'") for v in raw))

    def scalar(self, value: object, where: str, what: str) -> Scalar:
        if isinstance(value, bool | int | float) and (isinstance(value, bool) or is_number(value)):
            return value
        if isinstance(value, str):
            return self.text(value, where, what, SHORT_TEXT_LIMIT)
        self.problem(where, f"{what} must be text, a number, or true or false, not {_kind(value)}.")
        return ""

    # Protocols -------------------------------------------------------------------------

    def protocols(self, value: object) -> Protocols:
        where = "The protocols"
        doc = self.obj(value, where, ("statute_of_limitations", "urgent", "conflict_check"))
        if doc is None:
            return Protocols()
        return Protocols(
            statute_of_limitations=(
                self.statute(doc["statute_of_limitations"])
                if doc.get("statute_of_limitations") is not None
                else None
            ),
            urgent=self.urgent(doc["urgent"]) if doc.get("urgent") is not None else None,
            conflict_check=(
                self.conflict(doc["conflict_check"])
                if doc.get("conflict_check") is not None
                else None
            ),
        )

    def statute(self, value: object) -> StatuteOfLimitations | None:
        where = "The statute-of-limitations protocol"
        keys = ("incident_date_field", "matter_type_field", "state_field", "years")
        doc = self.obj(
            value,
            where,
            (*keys, "warn_within_days"),
            ("incident_date_field", "matter_type_field", "years"),
        )
        if doc is None:
            return None
        incident = self.ident(doc.get("incident_date_field", ""), where, "'incident_date_field'")
        matter = self.ident(doc.get("matter_type_field", ""), where, "'matter_type_field'")
        state = None
        if doc.get("state_field") is not None:
            state = self.ident(doc["state_field"], where, "'state_field'")
        warn = self.integer(doc.get("warn_within_days", 90), where, "'warn_within_days'", 0, 3650)
        years: list[tuple[str, tuple[tuple[str, int], ...]]] = []
        raw_years = doc.get("years", {})
        if not isinstance(raw_years, dict) or len(raw_years) > MAX_CHOICES:
            self.problem(where, f"'years' must be an object of at most {MAX_CHOICES} matter types.")
            raw_years = {}
        for raw_matter, by_state in raw_years.items():
            here = f"{where}, years for {show(raw_matter)}"
            matter_type = self.text(raw_matter, here, "The matter type", MAX_CHOICE_VALUE)
            if not isinstance(by_state, dict) or not by_state or len(by_state) > MAX_CHOICES:
                self.problem(
                    here, 'must be an object like {"default": 2, "NY": 3} (years per state).'
                )
                continue
            table: list[tuple[str, int]] = []
            for state_key, count in by_state.items():
                key = self.text(state_key, here, "A state", MAX_CHOICE_VALUE, blank_ok=False)
                number = self.integer(count, here, f"the years for {show(key)}", 1, 50)
                if number is not None:
                    table.append((key, number))
            years.append((matter_type, tuple(table)))
        return StatuteOfLimitations(
            incident, matter, state, tuple(years), 90 if warn is None else warn
        )

    def urgent(self, value: object) -> UrgentProtocol | None:
        where = "The urgent protocol"
        keys = ("keywords", "question_field", "watch_fields", "instruction", "escalate")
        doc = self.obj(value, where, keys, ("instruction",))
        if doc is None:
            return None
        keywords = self.texts(
            doc.get("keywords", []), where, "keywords", "Keyword", MAX_KEYWORD, MAX_KEYWORDS
        )
        question = None
        if doc.get("question_field") is not None:
            question = self.ident(doc["question_field"], where, "'question_field'")
        watch = None
        if doc.get("watch_fields") is not None:
            watch = tuple(self.ids(doc["watch_fields"], where, "'watch_fields'"))
        return UrgentProtocol(
            instruction=self.text(
                doc.get("instruction", ""), where, "The instruction", MAX_READ_ALOUD, blank_ok=False
            ),
            keywords=tuple(keywords),
            question_field=question,
            watch_fields=watch,
            escalate=self.boolean(doc.get("escalate", False), where, "'escalate'"),
        )

    def conflict(self, value: object) -> ConflictCheck | None:
        where = "The conflict-check protocol"
        doc = self.obj(value, where, ("name_fields",), ("name_fields",))
        if doc is None:
            return None
        names = self.ids(doc.get("name_fields", []), where, "'name_fields'")
        if not names:
            self.problem(where, "'name_fields' must name at least one field.")
        return ConflictCheck(tuple(names))

    def ids(self, value: object, where: str, what: str) -> list[str]:
        if not isinstance(value, list) or len(value) > MAX_FIELDS:
            self.problem(where, f"{what} must be a list of field ids.")
            return []
        return [self.ident(item, where, f"A field of {what}") for item in value]


# Approval --------------------------------------------------------------------------------


def approval_problems(defn: Definition) -> list[str]:
    """What stops ``defn`` (well formed) from being approved: empty, conditions that cannot
    work, protocols reading fields that are missing or of the wrong type. Empty when none."""
    problems: list[str] = []
    if not defn.fields:
        problems.append("The script has no fields yet: add at least one question.")
    for section in defn.sections:
        if not section.fields:
            problems.append(f"Section {section.id!r} has no fields: add one or remove it.")
    for f in defn.fields:
        problems.extend(_condition_problems(defn, f))
        problems.extend(_bound_problems(f))
    problems.extend(_cycle_problems(defn))
    problems.extend(_protocol_problems(defn))
    return problems


def _condition_problems(defn: Definition, f: Field) -> Iterator[str]:
    c = f.condition
    if c is None:
        return
    if c.field == f.id:
        yield (
            f"Field {f.id!r} is shown depending on its own answer: make it depend on another field."
        )
        return
    if not defn.has_field(c.field):
        yield (
            f"Field {f.id!r} is shown depending on {c.field!r}, which is not a field of the script."
        )
        return
    target = defn.field(c.field)
    if c.kind == ConditionKind.ANSWERED:
        return
    if target.type in ANSWERED_ONLY_TYPES:
        yield (
            f"Field {f.id!r} is shown when {c.field!r} has a given value, but a {target.type} "
            "answer can only be tested for being answered."
        )
        return
    for value in c.values:
        if not condition_value_fits(target, value):
            yield (
                f"Field {f.id!r} is shown when {c.field!r} is {show(value)}, "
                f"which {c.field!r} cannot hold ({_holds(target)})."
            )


def condition_value_fits(target: Field, value: Scalar) -> bool:
    """Whether an answer to ``target`` could ever equal ``value``."""
    t = target.type
    if t == FieldType.YES_NO:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if t == FieldType.NUMBER:
        return is_number(value)
    if not isinstance(value, str):
        return False
    if t in CHOICE_TYPES:
        return value in target.validation.choice_values()
    if t == FieldType.DATE:
        return parse_date(value) is not None
    if t == FieldType.DATETIME:
        return parse_local_datetime(value) is not None
    return t in TEXT_TYPES and value != ""


def _holds(target: Field) -> str:
    if target.type == FieldType.YES_NO:
        return "it is a yes/no question: use true or false"
    if target.type in CHOICE_TYPES:
        values = ", ".join(show(v) for v in target.validation.choice_values()[:10])
        return f"its choices are {values}"
    if target.type == FieldType.NUMBER:
        return "it takes a number"
    if target.type in (FieldType.DATE, FieldType.DATETIME):
        return f"it takes a {target.type} in ISO form"
    return "it takes text"


def _bound_problems(f: Field) -> Iterator[str]:
    v = f.validation
    if v.min_length is not None and v.max_length is not None and v.min_length > v.max_length:
        yield (
            f"Field {f.id!r}: the minimum length ({v.min_length}) is more than "
            f"the maximum ({v.max_length})."
        )
    if v.min is not None and v.max is not None and _after(v.min, v.max):
        yield (
            f"Field {f.id!r}: the minimum ({show(v.min)}) is more than the maximum ({show(v.max)})."
        )
    if v.min_choices is not None and v.max_choices is not None and v.min_choices > v.max_choices:
        yield (
            f"Field {f.id!r}: at least {v.min_choices} choices are asked for, "
            f"but at most {v.max_choices} allowed."
        )
    if v.min_choices is not None and v.min_choices > len(v.choices):
        yield (
            f"Field {f.id!r}: at least {v.min_choices} choices are asked for, "
            f"but it has only {len(v.choices)}."
        )


def _after(low: int | float | str, high: int | float | str) -> bool:
    # ISO dates and minute-precision datetimes sort as text; a number field's bounds are
    # both numbers (parse_definition sees to it).
    if isinstance(low, str) and isinstance(high, str):
        return low > high
    if not isinstance(low, str) and not isinstance(high, str):
        return low > high
    return False


def _cycle_problems(defn: Definition) -> Iterator[str]:
    """Each loop of conditions once, from its field that comes first. Every field has at most
    one condition, so following conditions from a field either ends or enters one loop."""
    depends_on = {
        f.id: f.condition.field
        for f in defn.fields
        if f.condition is not None and f.condition.field != f.id
    }
    order = {f.id: n for n, f in enumerate(defn.fields)}
    reported: set[str] = set()
    for f in defn.fields:
        path: list[str] = []
        current: str | None = f.id
        while current is not None and current not in path:
            path.append(current)
            current = depends_on.get(current)
        if current is None or current in reported:
            continue
        loop = path[path.index(current) :]
        reported.update(loop)
        start = min(range(len(loop)), key=lambda i: order[loop[i]])
        loop = loop[start:] + loop[:start]
        chain = f"Field {loop[0]!r} is shown depending on {loop[1]!r}"
        for later in [*loop[2:], loop[0]]:
            chain += f", which depends on {later!r}"
        yield chain + ": the conditions loop."


def _protocol_problems(defn: Definition) -> Iterator[str]:
    p = defn.protocols

    def check(reader: str, field_id: str, types: frozenset[FieldType], wanted: str) -> bool:
        if not defn.has_field(field_id):
            return _fail(f"{reader} reads {field_id!r}, which is not a field of the script.")
        found = defn.field(field_id).type
        if found not in types:
            return _fail(f"{reader} reads {field_id!r}, a {found} field; it needs {wanted}.")
        return True

    fails: list[str] = []

    def _fail(message: str) -> bool:
        fails.append(message)
        return False

    if p.statute_of_limitations is not None:
        s = p.statute_of_limitations
        reader = "The statute-of-limitations check"
        check(reader, s.incident_date_field, frozenset({FieldType.DATE}), "a date field")
        if check(
            reader, s.matter_type_field, frozenset({FieldType.SINGLE_CHOICE}), "a single choice"
        ):
            matters = defn.field(s.matter_type_field).validation.choice_values()
            for matter, _ in s.years:
                if matter not in matters:
                    fails.append(
                        f"{reader} has limits for the matter type {show(matter)}, "
                        f"which is not a choice of {s.matter_type_field!r}."
                    )
        if s.state_field is not None and check(
            reader, s.state_field, frozenset({FieldType.SINGLE_CHOICE}), "a single choice"
        ):
            states = defn.field(s.state_field).validation.choice_values()
            for matter, by_state in s.years:
                for state, _ in by_state:
                    if state != "default" and state not in states:
                        fails.append(
                            f"{reader} has a limit for {show(matter)} in {show(state)}, "
                            f"which is not a choice of {s.state_field!r}."
                        )
        if not s.years:
            fails.append(f"{reader} has no limits in 'years'.")
    if p.urgent is not None:
        u = p.urgent
        reader = "The urgent check"
        if u.question_field is not None:
            check(reader, u.question_field, frozenset({FieldType.YES_NO}), "a yes/no question")
        for field_id in u.watch_fields or ():
            check(reader, field_id, TEXT_TYPES, "a text field")
        if not u.keywords and u.question_field is None:
            fails.append(f"{reader} has neither keywords nor a question: add one.")
        watched = u.watch_fields
        if watched is None:
            watched = tuple(f.id for f in defn.fields if f.type == FieldType.LONG_TEXT)
        if u.keywords and not watched:
            fails.append(f"{reader} has keywords but no text field to look for them in.")
    if p.conflict_check is not None:
        for field_id in p.conflict_check.name_fields:
            check("The conflict check", field_id, TEXT_TYPES, "a text field")
    yield from fails


__all__ = [
    "Choice",
    "Condition",
    "ConditionKind",
    "ConflictCheck",
    "Definition",
    "DefinitionError",
    "Field",
    "FieldType",
    "Protocols",
    "ReadAloud",
    "Section",
    "Sensitivity",
    "StatuteOfLimitations",
    "UrgentProtocol",
    "Validation",
    "approval_problems",
    "empty_definition",
    "parse_definition",
]
