"""An agent's answers to a script: which fields are shown, and each answer checked and made
canonical.

Answers arrive two ways: as a browser form's strings (``"yes"``, ``"42"``, a list of ticked
values) and as typed JSON from the API (``true``, ``42``). Both clean to the same JSON value,
so a stored answer never depends on which way it came, and ``clean_answers`` is the one place
that says what an answer may be.

A draft (``complete=False``, the autosave) keeps every good answer and reports the bad ones,
without asking for the missing ones; the caller keeps the raw text of a bad answer if it wants
it back on screen. A completed intake (``complete=True``) must answer every shown required
field and may not answer a hidden one: an answer the agent can no longer see would be stored
without anyone having confirmed it.

Datetime answers are wall-clock times at the location (``YYYY-MM-DDTHH:MM``, no offset): the
agent types what the caller says ("Tuesday at 3"), and the location's zone, not the agent's,
gives it meaning. ``aware_datetime`` applies the zone when something needs an instant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from foundation.phones import InvalidPhoneNumber, to_e164
from intake.scripts.definition import (
    LONG_TEXT_LIMIT,
    NUMBER_LIMIT,
    SHORT_TEXT_LIMIT,
    ConditionKind,
    Definition,
    Field,
    FieldType,
    Scalar,
    Sensitivity,
    has_unstorable_character,
    is_number,
    parse_date,
    parse_local_datetime,
    show,
)

JSONable = str | int | float | bool | list[str] | dict[str, str]

ADDRESS_KEYS = ("line1", "line2", "city", "region", "postal_code")
ADDRESS_PART_LIMIT = 200
EMAIL_LIMIT = 254

# Plain ASCII digits only: ``\d`` and ``float()`` also take other scripts' digits ("٣") and
# ``Decimal`` takes "NaN" and exponents, none of which an agent means by a number.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Deliberately simple: something@domain.tld in ASCII. Whether the mailbox exists is learnt by
# writing to it; this only catches typing slips.
_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_YES = frozenset({"yes", "true"})
_NO = frozenset({"no", "false"})


class InvalidAnswer(ValueError):
    """An answer that does not fit its field; the message is for the agent."""


@dataclass(frozen=True)
class CleanResult:
    """``values``: field id → canonical answer (unanswered fields absent); ``errors``: field
    id → one sentence, and ``"__all__"`` for answers to fields the script does not have."""

    values: dict[str, JSONable] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def is_unanswered(raw: object) -> bool:
    """``None``, blank text, an empty list or an address with nothing in it."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(isinstance(item, str) and not item.strip() for item in raw)
    if isinstance(raw, dict):
        return all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values())
    return False


def clean_answer(f: Field, raw: object, *, region: str | None = "US") -> JSONable:
    """``raw`` (not unanswered) as ``f``'s canonical answer, or ``InvalidAnswer``."""
    return _CLEANERS[f.type](f, raw, region)


def clean_answers(
    defn: Definition, answers: Mapping[str, object], *, complete: bool, region: str | None = "US"
) -> CleanResult:
    """Check and normalise ``answers`` (field id → raw answer) against ``defn``.

    ``region`` reads national phone numbers (the organisation's country). See the module
    docstring for drafts and completed intakes.
    """
    values: dict[str, JSONable] = {}
    errors: dict[str, str] = {}
    unknown = [key for key in answers if not (isinstance(key, str) and defn.has_field(key))]
    if unknown:
        named = ", ".join(show(key) for key in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        errors["__all__"] = f"These answers are for fields the script does not have: {named}{more}."
    for f in defn.fields:
        raw = answers.get(f.id)
        if is_unanswered(raw):
            continue
        try:
            values[f.id] = clean_answer(f, raw, region=region)
        except InvalidAnswer as error:
            errors[f.id] = str(error)
    visible = _visible(defn, values)
    for f in defn.fields:
        if f.id in visible:
            if complete and f.required and f.id not in values and f.id not in errors:
                errors[f.id] = f"{_name(f)} is required."
        elif f.id in values or f.id in errors:
            values.pop(f.id, None)
            errors[f.id] = _hidden_message(defn, f, visible)
    return CleanResult(values, errors)


def visible_field_ids(defn: Definition, answers: Mapping[str, object]) -> set[str]:
    """The fields shown for ``answers`` (raw or clean): those without a condition, and those
    whose condition's field is itself shown and answered as the condition asks. A condition
    that loops or names a missing field hides its field."""
    values: dict[str, JSONable] = {}
    for f in defn.fields:
        raw = answers.get(f.id)
        if is_unanswered(raw):
            continue
        if f.type in (FieldType.PHONE, FieldType.EMAIL, FieldType.ADDRESS):
            # Conditions only ask whether these are answered, which needs no region.
            values[f.id] = ""
            continue
        try:
            values[f.id] = clean_answer(f, raw)
        except InvalidAnswer:
            continue
    return _visible(defn, values)


def _visible(defn: Definition, values: Mapping[str, JSONable]) -> set[str]:
    shown: dict[str, bool] = {}
    deciding: set[str] = set()

    def is_shown(field_id: str) -> bool:
        if field_id in shown:
            return shown[field_id]
        if field_id in deciding or not defn.has_field(field_id):
            return False  # a loop, or a missing field
        condition = defn.field(field_id).condition
        if condition is None:
            shown[field_id] = True
            return True
        deciding.add(field_id)
        result = is_shown(condition.field) and _satisfies(
            defn.field(condition.field),
            values.get(condition.field),
            condition.kind,
            condition.values,
        )
        deciding.discard(field_id)
        shown[field_id] = result
        return result

    # Chains are at most as long as the script (200 fields), well inside Python's recursion.
    return {f.id for f in defn.fields if is_shown(f.id)}


def _satisfies(
    target: Field, value: JSONable | None, kind: ConditionKind, expected: tuple[Scalar, ...]
) -> bool:
    if value is None:
        return False
    if kind == ConditionKind.ANSWERED:
        return True
    chosen = value if isinstance(value, list) else [value]
    return any(_same(v, e) for v in chosen for e in expected)


def _same(a: object, b: object) -> bool:
    # True == 1 in Python; an answer "yes" never matches the number 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _hidden_message(defn: Definition, f: Field, visible: set[str]) -> str:
    # Name the field whose answer hides this one: the nearest field up the chain of
    # conditions that is shown (an answer the agent can change).
    blocker: str | None = None
    seen: set[str] = set()
    current: Field | None = f
    while current is not None and current.condition is not None and current.id not in seen:
        seen.add(current.id)
        target_id = current.condition.field
        if not defn.has_field(target_id):
            break
        if target_id in visible:
            blocker = target_id
            break
        current = defn.field(target_id)
    if blocker is None:
        return f"{_name(f)} is hidden by the script's conditions; clear it."
    return (
        f"{_name(f)} is hidden by the caller's answers; clear it or change "
        f"{_name(defn.field(blocker))}."
    )


def split_by_sensitivity(
    defn: Definition, values: Mapping[str, JSONable]
) -> dict[Sensitivity, dict[str, JSONable]]:
    """``values`` grouped by their fields' sensitivity (every sensitivity present, maybe
    empty), so personal and health answers can be stored and shown apart. Answers to fields
    the script does not have are dropped."""
    groups: dict[Sensitivity, dict[str, JSONable]] = {s: {} for s in Sensitivity}
    for f in defn.fields:
        if f.id in values:
            groups[f.sensitivity][f.id] = values[f.id]
    return groups


def aware_datetime(value: str, zone: ZoneInfo) -> datetime:
    """A datetime answer as an aware datetime in ``zone`` (the location's). A time that a clock
    change repeats is its first occurrence, and one it skips takes the offset in force before
    the change (``fold=0``, as ``zoneinfo`` reads it)."""
    naive = parse_local_datetime(value)
    if naive is None:
        raise InvalidAnswer(f"{show(value)} is not a date and time written YYYY-MM-DDTHH:MM.")
    return naive.replace(tzinfo=zone)


# One cleaner per type -------------------------------------------------------------------


def _name(f: Field) -> str:
    return repr(f.label) if "'" not in f.label else f"\u201c{f.label}\u201d"


def _text(f: Field, raw: object, region: str | None) -> str:
    if not isinstance(raw, str):
        raise InvalidAnswer(f"{_name(f)} takes text, not {_kind(raw)}.")
    # Browsers send textarea line breaks as CRLF.
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if has_unstorable_character(text):
        raise InvalidAnswer(f"{_name(f)} contains a control character; type it again.")
    limit = LONG_TEXT_LIMIT if f.type == FieldType.LONG_TEXT else SHORT_TEXT_LIMIT
    v = f.validation
    if v.max_length is not None:
        limit = min(limit, v.max_length)
    if len(text) > limit:
        raise InvalidAnswer(f"{_name(f)} must be at most {limit} characters (it has {len(text)}).")
    if v.min_length is not None and len(text) < v.min_length:
        raise InvalidAnswer(f"{_name(f)} must be at least {v.min_length} characters.")
    if v.pattern is not None and not _compiled(v.pattern).fullmatch(text):
        raise InvalidAnswer(f"{_name(f)} is not in the expected form.")
    return text


_patterns: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    # Patterns were compiled once by parse_definition; this only saves doing it per answer.
    if pattern not in _patterns:
        if len(_patterns) > 1000:
            _patterns.clear()
        _patterns[pattern] = re.compile(pattern)
    return _patterns[pattern]


def _phone(f: Field, raw: object, region: str | None) -> str:
    if not isinstance(raw, str):
        raise InvalidAnswer(f"{_name(f)} takes a phone number written as text.")
    try:
        return to_e164(raw, region=region)
    except InvalidPhoneNumber as error:
        raise InvalidAnswer(f"{_name(f)}: {error.message}") from error


def _email(f: Field, raw: object, region: str | None) -> str:
    if not isinstance(raw, str):
        raise InvalidAnswer(f"{_name(f)} takes an email address written as text.")
    text = raw.strip()
    match = _EMAIL.fullmatch(text) if len(text) <= EMAIL_LIMIT else None
    if match is None or len(match["local"]) > 64:
        raise InvalidAnswer(f"{_name(f)} must be an email address, like name@example.com.")
    return f"{match['local']}@{match['domain'].lower()}"


def _date(f: Field, raw: object, region: str | None) -> str:
    day = parse_date(raw.strip()) if isinstance(raw, str) else None
    if day is None:
        raise InvalidAnswer(f"{_name(f)} must be a date written YYYY-MM-DD.")
    text = day.isoformat()
    _check_range(f, text)
    return text


def _datetime(f: Field, raw: object, region: str | None) -> str:
    moment = parse_local_datetime(raw.strip()) if isinstance(raw, str) else None
    if moment is None:
        raise InvalidAnswer(f"{_name(f)} must be a date and time written YYYY-MM-DDTHH:MM.")
    text = moment.strftime("%Y-%m-%dT%H:%M")
    _check_range(f, text)
    return text


def _check_range(f: Field, value: str | int | float) -> None:
    # ISO dates and minute-precision times sort as text; numbers as numbers.
    low, high = f.validation.min, f.validation.max
    numeric = f.type == FieldType.NUMBER
    if low is not None and _less_than(value, low):
        more = "more" if numeric else "later"
        raise InvalidAnswer(f"{_name(f)} must be {show(low)} or {more}.")
    if high is not None and _less_than(high, value):
        less = "less" if numeric else "earlier"
        raise InvalidAnswer(f"{_name(f)} must be {show(high)} or {less}.")


def _less_than(a: str | int | float, b: str | int | float) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a < b
    if not isinstance(a, str) and not isinstance(b, str):
        return a < b
    return False


def _number(f: Field, raw: object, region: str | None) -> int | float:
    number: int | float
    if isinstance(raw, bool):
        raise InvalidAnswer(f"{_name(f)} takes a number, not true or false.")
    if isinstance(raw, int | float):
        if not is_number(raw):
            raise InvalidAnswer(f"{_name(f)} must be a finite number below {NUMBER_LIMIT:,}.")
        number = raw
    elif isinstance(raw, str) and _DECIMAL.fullmatch(raw.strip()):
        try:
            exact = Decimal(raw.strip())
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only decimals
            raise InvalidAnswer(f"{_name(f)} must be a number, like 42 or 3.5.") from error
        if abs(exact) >= NUMBER_LIMIT:
            raise InvalidAnswer(f"{_name(f)} must be a finite number below {NUMBER_LIMIT:,}.")
        number = int(exact) if exact == exact.to_integral_value() else float(exact)
    else:
        raise InvalidAnswer(f"{_name(f)} must be a number, like 42 or 3.5.")
    if isinstance(number, float) and math.isfinite(number) and number.is_integer():
        number = int(number)
    _check_range(f, number)
    return number


def _yes_no(f: Field, raw: object, region: str | None) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise InvalidAnswer(f"{_name(f)} takes yes or no.")


def _single_choice(f: Field, raw: object, region: str | None) -> str:
    choices = f.validation.choice_values()
    if isinstance(raw, str) and raw.strip() in choices:
        return raw.strip()
    raise InvalidAnswer(f"{_name(f)} must be one of its choices.")


def _multiple_choice(f: Field, raw: object, region: str | None) -> list[str]:
    choices = f.validation.choice_values()
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        raise InvalidAnswer(f"{_name(f)} takes a list of its choices.")
    picked = [item.strip() for item in raw if item.strip()]
    if any(item not in choices for item in picked):
        raise InvalidAnswer(f"{_name(f)} must only hold its choices.")
    if len(set(picked)) != len(picked):
        raise InvalidAnswer(f"{_name(f)} names a choice more than once.")
    v = f.validation
    if v.min_choices is not None and len(picked) < v.min_choices:
        raise InvalidAnswer(f"{_name(f)} needs at least {v.min_choices} choices.")
    if v.max_choices is not None and len(picked) > v.max_choices:
        raise InvalidAnswer(f"{_name(f)} takes at most {v.max_choices} choices.")
    # In the script's order, so the same ticks always store the same list.
    return [choice for choice in choices if choice in picked]


def _address(f: Field, raw: object, region: str | None) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InvalidAnswer(
            f"{_name(f)} takes an address: line1, line2, city, region, postal_code."
        )
    unknown = [key for key in raw if key not in ADDRESS_KEYS]
    if unknown:
        raise InvalidAnswer(
            f"{_name(f)} has parts an address does not have: "
            f"{', '.join(show(k) for k in unknown[:5])}."
        )
    address: dict[str, str] = {}
    for key in ADDRESS_KEYS:
        part = raw.get(key, "")
        if part is None:
            part = ""
        if not isinstance(part, str):
            raise InvalidAnswer(f"{_name(f)}: {key} takes text, not {_kind(part)}.")
        part = " ".join(part.split())
        if len(part) > ADDRESS_PART_LIMIT or has_unstorable_character(part):
            raise InvalidAnswer(
                f"{_name(f)}: {key} must be at most {ADDRESS_PART_LIMIT} characters of text."
            )
        address[key] = part
    if not address["line1"]:
        raise InvalidAnswer(f"{_name(f)} needs its first line (street and number).")
    return address


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "this kind of value"


_CLEANERS: Mapping[FieldType, Callable[[Field, Any, str | None], JSONable]] = {
    FieldType.SHORT_TEXT: _text,
    FieldType.LONG_TEXT: _text,
    FieldType.PHONE: _phone,
    FieldType.EMAIL: _email,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.NUMBER: _number,
    FieldType.YES_NO: _yes_no,
    FieldType.SINGLE_CHOICE: _single_choice,
    FieldType.MULTIPLE_CHOICE: _multiple_choice,
    FieldType.ADDRESS: _address,
}
