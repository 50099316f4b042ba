"""Parties and matters: imported in bulk (CSV files, API lists) for the conflict check, and
the prospective client a completed legal intake adds.

An import is all or nothing: every row is checked first, and a file with any bad row is
refused as a whole with one message per bad row ("Row 7: role 'enemy' is not one of …"),
before anything is written. Rows with an ``external_ref`` update the party or matter that
has it (an upsert); rows without one are added.

Every party written here also has its name recorded, in the same transaction, among the
organisation's distinct names (``record_names``), which the conflict check searches.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Upper

from intake.models import Intake, Matter, Party, PartyName, PartyRole
from intake.scripts.definition import has_unstorable_character
from tenancy.audit import audited
from tenancy.context import current_organization_id
from tenancy.resolution import Tenant

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_ROWS = 50_000
MAX_API_ROWS = 5_000
# Problems listed before the rest are only counted: a wrong file can hold 50,000 of them.
MAX_PROBLEMS = 50
PARTY_COLUMNS = ("name", "role", "matter", "external_ref")
MATTER_COLUMNS = ("name", "matter_type", "external_ref", "open")
PROSPECT_REF = "intake:{}"
BATCH = 2_000

_ROLE_WORDS: dict[str, str] = {}
for _role in PartyRole:
    _ROLE_WORDS[_role.value.lower()] = _role.value
    _ROLE_WORDS[str(_role.label).lower()] = _role.value
_ROLE_LIST = ", ".join(str(r.label).lower() for r in PartyRole)
_YES = {"yes", "y", "true", "1", "open"}
_NO = {"no", "n", "false", "0", "closed"}


class ImportRefused(ValidationError):
    """The whole import was refused; ``problems`` are sentences, one per bad row (or one
    for the file), in order."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__({"rows": problems})


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


# Reading a file -------------------------------------------------------------------------


def read_csv(data: bytes, *, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file as (row number as a spreadsheet shows it, header = row 1;
    column → text). UTF-8 (a byte-order mark is skipped), any line ending; the header names
    the columns, in any order and case. Raises ``ImportRefused`` for a file that cannot be
    read: too large, not UTF-8, no name column, an unknown column, too many rows."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportRefused([f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            [
                f"The file is not UTF-8 text (byte {error.start + 1} is not valid UTF-8). "
                "Save it as “CSV UTF-8” and upload it again."
            ]
        ) from None
    if "\x00" in text:
        raise ImportRefused(["The file contains NUL characters: it is not a CSV text file."])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ImportRefused(["The file is empty: the first row must name the columns."])
        names = [cell.strip().lower().replace(" ", "_") for cell in header]
        unknown = [name for name in names if name and name not in columns]
        if unknown:
            raise ImportRefused(
                [
                    f"Unknown column {', '.join(repr(u) for u in unknown)}: the columns are "
                    f"{', '.join(columns)}."
                ]
            )
        if "name" not in names:
            raise ImportRefused(["The first row must name the columns, including “name”."])
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_UPLOAD_ROWS:
                raise ImportRefused(
                    [f"The file has more than {MAX_UPLOAD_ROWS:,} rows: split it into parts."]
                )
            row = {name: cell for name, cell in zip(names, cells, strict=False) if name}
            if len(cells) > len(names):
                row["__extra__"] = "yes"
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise ImportRefused(
            [f"Row {reader.line_num}: the file is not valid CSV ({error})."]
        ) from None
    return rows


def numbered(items: Iterable[Any]) -> list[tuple[int, Any]]:
    """API rows numbered from 1, as their messages name them."""
    return list(enumerate(items, start=1))


# Checking rows --------------------------------------------------------------------------


def _text(row: Mapping[str, Any], key: str, label: str, limit: int, problems: list[str]) -> str:
    value = row.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(f"{label} must be text")
        return ""
    value = " ".join(value.split())
    if has_unstorable_character(value):
        # NUL cannot be stored at all; other control characters are never part of a name.
        problems.append(f"{label} contains control characters: remove them")
        return ""
    if len(value) > limit:
        problems.append(f"{label} is longer than {limit} characters")
    return value


def _check_shape(number: int, row: object, columns: tuple[str, ...]) -> list[str]:
    if not isinstance(row, Mapping):
        return [f"Row {number}: must be an object with {', '.join(columns)}."]
    unknown = [str(key) for key in row if key not in columns]
    if "__extra__" in row:
        return [f"Row {number}: has more cells than the header has columns."]
    if unknown:
        return [f"Row {number}: unknown field {', '.join(repr(u) for u in unknown)}."]
    return []


@dataclass
class _PartyRow:
    number: int
    name: str
    role: str
    matter_key: str
    external_ref: str


def _party_row(number: int, row: Any) -> tuple[_PartyRow | None, list[str]]:
    shape = _check_shape(number, row, PARTY_COLUMNS)
    if shape:
        return None, shape
    problems: list[str] = []
    name = _text(row, "name", "name", 200, problems)
    if not name and not problems:
        problems.append("name is missing")
    raw_role = _text(row, "role", "role", 40, problems)
    role = PartyRole.RELATED.value
    if raw_role:
        found = _ROLE_WORDS.get(raw_role.lower())
        if found is None:
            problems.append(f"role '{raw_role}' is not one of {_ROLE_LIST}")
        else:
            role = found
    matter = _text(row, "matter", "matter", 300, problems)
    ref = _text(row, "external_ref", "external_ref", 100, problems)
    if problems:
        return None, [f"Row {number}: {'; '.join(problems)}."]
    return _PartyRow(number, name, role, matter, ref), []


@dataclass
class _MatterRow:
    number: int
    name: str
    matter_type: str
    external_ref: str
    is_open: bool


def _matter_row(number: int, row: Any) -> tuple[_MatterRow | None, list[str]]:
    shape = _check_shape(number, row, MATTER_COLUMNS)
    if shape:
        return None, shape
    problems: list[str] = []
    name = _text(row, "name", "name", 300, problems)
    if not name and not problems:
        problems.append("name is missing")
    matter_type = _text(row, "matter_type", "matter_type", 60, problems)
    ref = _text(row, "external_ref", "external_ref", 100, problems)
    is_open = True
    raw_open = row.get("open", "")
    if isinstance(raw_open, bool):
        is_open = raw_open
    elif isinstance(raw_open, str) and raw_open.strip():
        word = raw_open.strip().lower()
        if word in _YES:
            is_open = True
        elif word in _NO:
            is_open = False
        else:
            problems.append(f"open '{raw_open.strip()}' is not yes or no")
    elif raw_open not in ("", None):
        problems.append("open must be yes or no")
    if problems:
        return None, [f"Row {number}: {'; '.join(problems)}."]
    return _MatterRow(number, name, matter_type, ref, is_open), []


def _refuse_if(problems: list[str]) -> None:
    if not problems:
        return
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"… and {rest:,} more rows with problems."]
    raise ImportRefused(problems)


def _duplicate_refs(rows: Iterable[_PartyRow | _MatterRow]) -> list[str]:
    first: dict[str, int] = {}
    problems = []
    for row in rows:
        if not row.external_ref:
            continue
        if row.external_ref in first:
            problems.append(
                f"Row {row.number}: external_ref '{row.external_ref}' is also on row "
                f"{first[row.external_ref]}."
            )
        else:
            first[row.external_ref] = row.number
    return problems


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _matters_for(keys: set[str]) -> tuple[dict[str, Matter], dict[str, list[Matter]]]:
    by_ref: dict[str, Matter] = {}
    by_name: dict[str, list[Matter]] = {}
    wanted = sorted(keys)
    for chunk in _chunks(wanted):
        for matter in Matter.objects.filter(external_ref__in=chunk):
            by_ref[matter.external_ref] = matter
    upper = sorted({key.upper() for key in wanted})
    for chunk in _chunks(upper):
        for matter in Matter.objects.annotate(key=Upper("name")).filter(key__in=chunk):
            by_name.setdefault(matter.name.upper(), []).append(matter)
    return by_ref, by_name


# Imports --------------------------------------------------------------------------------


def import_parties(
    *, actor: Tenant, rows: list[tuple[int, Any]], limit: int = MAX_UPLOAD_ROWS
) -> ImportResult:
    """Add or update the organisation's parties from ``rows`` (row number, mapping of
    ``name``, ``role``, ``matter``, ``external_ref``), all or nothing. ``role`` is a role's
    value or its words, any case ("Adverse party"), empty for a related party; ``matter``
    is a matter's external reference or its name. Raises ``ImportRefused``."""
    if len(rows) > limit:
        raise ImportRefused([f"Send at most {limit:,} rows at a time (got {len(rows):,})."])
    if not rows:
        raise ImportRefused(["There are no rows to import."])
    problems: list[str] = []
    parsed: list[_PartyRow] = []
    for number, raw in rows:
        row, row_problems = _party_row(number, raw)
        problems.extend(row_problems)
        if row is not None:
            parsed.append(row)
    problems.extend(_duplicate_refs(parsed))
    by_ref, by_name = _matters_for({row.matter_key for row in parsed if row.matter_key})
    matter_of: dict[int, Matter | None] = {}
    for row in parsed:
        if not row.matter_key:
            matter_of[row.number] = None
            continue
        matter = by_ref.get(row.matter_key)
        named = by_name.get(row.matter_key.upper(), [])
        if matter is None and len(named) == 1:
            matter = named[0]
        if matter is None and len(named) > 1:
            problems.append(
                f"Row {row.number}: {len(named)} matters are named '{row.matter_key}': give "
                "the matter's external reference instead."
            )
        elif matter is None:
            problems.append(
                f"Row {row.number}: matter '{row.matter_key}' is not on file (neither a "
                "reference nor a name): import the matters first."
            )
        matter_of[row.number] = matter
    problems.sort(key=_row_order)
    _refuse_if(problems)

    refs = [row.external_ref for row in parsed if row.external_ref]
    with transaction.atomic(), audited(actor, via="api" if actor.api_key else "web"):
        existing: dict[str, Party] = {}
        for chunk in _chunks(refs):
            for party in Party.objects.select_for_update().filter(external_ref__in=chunk):
                existing[party.external_ref] = party
        organization_id = current_organization_id()
        new: list[Party] = []
        changed: list[Party] = []
        for row in parsed:
            matter = matter_of[row.number]
            party = existing.get(row.external_ref) if row.external_ref else None
            if party is None:
                new.append(
                    Party(
                        organization_id=organization_id,
                        name=row.name,
                        role=row.role,
                        matter=matter,
                        external_ref=row.external_ref,
                    )
                )
            else:
                party.name, party.role, party.matter = row.name, row.role, matter
                changed.append(party)
        Party.objects.bulk_create(new, batch_size=BATCH)
        Party.objects.bulk_update(changed, ["name", "role", "matter"], batch_size=BATCH)
        record_names(row.name for row in parsed)
    return ImportResult(created=len(new), updated=len(changed))


def import_matters(
    *, actor: Tenant, rows: list[tuple[int, Any]], limit: int = MAX_UPLOAD_ROWS
) -> ImportResult:
    """Add or update the organisation's matters from ``rows`` (row number, mapping of
    ``name``, ``matter_type``, ``external_ref``, ``open`` yes/no), all or nothing. Raises
    ``ImportRefused``."""
    if len(rows) > limit:
        raise ImportRefused([f"Send at most {limit:,} rows at a time (got {len(rows):,})."])
    if not rows:
        raise ImportRefused(["There are no rows to import."])
    problems: list[str] = []
    parsed: list[_MatterRow] = []
    for number, raw in rows:
        row, row_problems = _matter_row(number, raw)
        problems.extend(row_problems)
        if row is not None:
            parsed.append(row)
    problems.extend(_duplicate_refs(parsed))
    problems.sort(key=_row_order)
    _refuse_if(problems)
    refs = [row.external_ref for row in parsed if row.external_ref]
    with transaction.atomic(), audited(actor, via="api" if actor.api_key else "web"):
        existing: dict[str, Matter] = {}
        for chunk in _chunks(refs):
            for matter in Matter.objects.select_for_update().filter(external_ref__in=chunk):
                existing[matter.external_ref] = matter
        organization_id = current_organization_id()
        new: list[Matter] = []
        changed: list[Matter] = []
        for row in parsed:
            found = existing.get(row.external_ref) if row.external_ref else None
            if found is None:
                new.append(
                    Matter(
                        organization_id=organization_id,
                        name=row.name,
                        matter_type=row.matter_type,
                        external_ref=row.external_ref,
                        is_open=row.is_open,
                    )
                )
            else:
                found.name, found.matter_type, found.is_open = (
                    row.name,
                    row.matter_type,
                    row.is_open,
                )
                changed.append(found)
        Matter.objects.bulk_create(new, batch_size=BATCH)
        Matter.objects.bulk_update(changed, ["name", "matter_type", "is_open"], batch_size=BATCH)
    return ImportResult(created=len(new), updated=len(changed))


def record_names(names: Iterable[str]) -> None:
    """Add ``names`` to the organisation's distinct party names (``PartyName``, what the
    conflict check searches), those already there skipped. Call it, in the same transaction,
    wherever a party is added or renamed: a party whose name is missing there is never
    found. A name that no longer has a party may stay (the check joins back to the parties
    by exact name, so it finds nothing); nothing removes it."""
    organization_id = current_organization_id()
    # Sorted: concurrent imports then take the unique index's locks in the same order.
    PartyName.objects.bulk_create(
        [PartyName(organization_id=organization_id, name=name) for name in sorted(set(names))],
        batch_size=BATCH,
        ignore_conflicts=True,
    )


def _row_order(problem: str) -> int:
    head = problem.split(":", 1)[0]
    number = head.removeprefix("Row ")
    return int(number) if number.isdigit() else 0


# The prospective client of a completed intake -------------------------------------------


def record_prospect(*, intake: Intake, name: str) -> Party:
    """The caller of a completed (legal) intake as a party with role "prospective client",
    so the next conflict check finds them. Idempotent per intake (its external reference is
    ``intake:<id>``): completing or recording again updates the name, never adds a second
    party. Call inside the intake's tenant context."""
    cleaned = " ".join((name or "").split())[:200]
    if not cleaned:
        raise ValidationError({"name": ["The prospective client needs a name."]})
    with transaction.atomic():
        party, created = Party.objects.get_or_create(
            external_ref=PROSPECT_REF.format(intake.pk),
            defaults={"name": cleaned, "role": PartyRole.PROSPECT},
        )
        if not created and party.name != cleaned:
            party.name = cleaned
            party.save(update_fields=["name"])
        record_names([cleaned])
    return party
