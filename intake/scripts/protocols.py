"""The protocols a script can carry, read against clean answers: a statute-of-limitations
warning, the urgent-call check, and the names a conflict check looks up.

Each is a prompt for the agent and the firm, never advice to the caller: the statute warning
says "flag for an attorney", and the urgent check hands the agent the instruction the
organisation wrote. All three read the ``values`` of ``clean_answers`` and answer nothing
(``None`` or ``[]``) when what they need is not there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from intake.scripts.answers import JSONable
from intake.scripts.definition import Definition, FieldType, parse_date

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

MAX_CONFLICT_NAMES = 20
MAX_CONFLICT_NAME = 200


def long_date(day: date) -> str:
    """ "3 March 2023": the same in every locale, and never mistaken for 3/4 or 4/3."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def add_years(day: date, years: int) -> date:
    """``day`` ``years`` later; 29 February becomes 28 February, the earlier reading, so a
    deadline is never reported later than it is."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# Statute of limitations ------------------------------------------------------------------


def statute_warning(defn: Definition, values: Mapping[str, JSONable], *, today: date) -> str | None:
    """A warning for the agent when the usual limit for the caller's matter type and state
    ends within the protocol's ``warn_within_days`` of ``today`` or has passed; ``None``
    when it does not, or when the script has no such protocol or an answer it needs is
    missing (an incident date in the future included)."""
    protocol = defn.protocols.statute_of_limitations
    if protocol is None:
        return None
    raw_day = values.get(protocol.incident_date_field)
    matter = values.get(protocol.matter_type_field)
    incident = parse_date(raw_day) if isinstance(raw_day, str) else None
    if incident is None or incident > today or not isinstance(matter, str):
        return None
    state: str | None = None
    if protocol.state_field is not None:
        answer = values.get(protocol.state_field)
        if not isinstance(answer, str) or not answer:
            return None
        state = answer
    years = protocol.years_for(matter, state)
    if years is None:
        return None
    deadline = add_years(incident, years)
    days_left = (deadline - today).days
    if days_left > protocol.warn_within_days:
        return None
    if days_left < 0:
        when = "already passed"
    elif days_left == 0:
        when = "that is today"
    else:
        when = f"that is in {days_left} day{'s' if days_left != 1 else ''}"
    place = f" in {state}" if state is not None else ""
    plural = "s" if years != 1 else ""
    return (
        f"The incident was on {long_date(incident)}: the usual limit for "
        f"{_matter_name(defn, protocol.matter_type_field, matter)}{place} is {years} "
        f"year{plural} (ends {long_date(deadline)}) — {when}. "
        "Flag for an attorney today; do not advise the caller."
    )


def _matter_name(defn: Definition, field_id: str, value: str) -> str:
    label = value
    if defn.has_field(field_id):
        for choice in defn.field(field_id).validation.choices:
            if choice.value == value:
                label = choice.label
    # "Personal injury" reads "personal injury" mid-sentence; "FELA claim" keeps its capitals.
    first = label.split(" ", 1)[0]
    if first[:1].isupper() and not first.isupper():
        label = label[:1].lower() + label[1:]
    return label


# Urgent calls ----------------------------------------------------------------------------


class UrgentTrigger(StrEnum):
    QUESTION = "question"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class UrgentMatch:
    """Why a call is urgent and what the agent does: ``field_id`` is the question answered
    yes, or the field the ``keyword`` was found in."""

    trigger: UrgentTrigger
    field_id: str
    keyword: str | None
    instruction: str
    escalate: bool


def normalise_for_matching(text: str) -> str:
    """NFKC and case-folded, with typographic apostrophes as plain ones, so "CAN’T BREATHE"
    typed on a phone matches the keyword "can't breathe"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")


def _keyword_pattern(keyword: str) -> re.Pattern[str] | None:
    words = normalise_for_matching(keyword).split()
    if not words:
        return None
    # Whole words only ("stroke" is not in "keystroke"); any run of spaces or line breaks
    # between the words.
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)")


def urgent_match(defn: Definition, values: Mapping[str, JSONable]) -> UrgentMatch | None:
    """The reason the call is urgent under the script's urgent protocol, or ``None``.

    The question answered yes comes first; then each watched field in order (every long-text
    field when the protocol names none), each keyword in the protocol's order.
    """
    protocol = defn.protocols.urgent
    if protocol is None:
        return None

    instruction, escalate = protocol.instruction, protocol.escalate

    def match(trigger: UrgentTrigger, field_id: str, keyword: str | None) -> UrgentMatch:
        return UrgentMatch(trigger, field_id, keyword, instruction, escalate)

    if protocol.question_field is not None and values.get(protocol.question_field) is True:
        return match(UrgentTrigger.QUESTION, protocol.question_field, None)
    watched = protocol.watch_fields
    if watched is None:
        watched = tuple(f.id for f in defn.fields if f.type == FieldType.LONG_TEXT)
    patterns = [(k, _keyword_pattern(k)) for k in protocol.keywords]
    for field_id in watched:
        text = values.get(field_id)
        if not isinstance(text, str) or not text:
            continue
        normalised = normalise_for_matching(text)
        for keyword, pattern in patterns:
            if pattern is not None and pattern.search(normalised):
                return match(UrgentTrigger.KEYWORD, field_id, keyword)
    return None


# Conflict check --------------------------------------------------------------------------

# Long-text answers list several people: one per line, or "A, B; C and D".
_NAME_SEPARATORS = re.compile(r"[\n,;]+|\s+and\s+", re.IGNORECASE)


def conflict_names(defn: Definition, values: Mapping[str, JSONable]) -> list[str]:
    """The names the conflict check looks up, from the protocol's name fields in order:
    a short-text answer is one name, a long-text answer is split into several. Spaces are
    collapsed, each name is cut to 200 characters, repeats (ignoring case) are dropped, and
    at most 20 are returned."""
    protocol = defn.protocols.conflict_check
    if protocol is None:
        return []
    names: list[str] = []
    seen: set[str] = set()
    for field_id in protocol.name_fields:
        value = values.get(field_id)
        if not isinstance(value, str) or not defn.has_field(field_id):
            continue
        if defn.field(field_id).type == FieldType.LONG_TEXT:
            parts = _NAME_SEPARATORS.split(value)
        else:
            parts = [value]
        for part in parts:
            name = " ".join(part.split()).strip(" .-")[:MAX_CONFLICT_NAME].strip()
            key = normalise_for_matching(name)
            # A part with no letter or digit (a stray "-") is not a name.
            if not any(ch.isalnum() for ch in name) or key in seen:
                continue
            seen.add(key)
            names.append(name)
            if len(names) == MAX_CONFLICT_NAMES:
                return names
    return names
