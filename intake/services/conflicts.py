"""The conflict pre-check: names heard on an intake against the organisation's parties and
matters, by trigram similarity (``pg_trgm``), advisory and recorded every time.

The search runs as the application role, under row-level security, on the GIN indexes
``(organization_id int8_ops, name gin_trgm_ops)`` of ``intake_partyname`` and
``intake_matter`` (btree_gin lets the organisation lead; pg_trgm ignores case). Each query
names the organisation as a ``bigint`` (btree_gin has no cross-type operators) and uses
``%``.

Parties are searched through their distinct names (``PartyName``, kept in step by
intake/services/parties.py): a large book repeats the same names, and every candidate the
trigram index returns is read and scored, so the similar names are found first and their
parties fetched by exact name (btree ``(organization, name)``; equality is LEAKPROOF). A
name left behind by a renamed party stays but finds nothing: only names that still have a
party count towards a name's hits.

Parties are searched first at a higher threshold (``FIRST_THRESHOLD``, 0.5): for a common
name ("Carol Smith") the index then returns a fraction of the candidates, and when
``HITS_PER_NAME`` parties score at least that, they are exactly the best ones at 0.3 too
(every other party scores less). Names that find fewer are searched again at 0.3; matters
are searched at 0.3 once. On the bench's million parties in one organisation this took a
check from ~130 ms to ~35 (bench/README.md).

Row-level security and the index: on a table under row-level security PostgreSQL puts a
condition into an index scan only when its functions are LEAKPROOF, and pg_trgm ships
``similarity_op`` (``%``) without the mark. Without it the search is still right, but reads
every party of the organisation (seconds at a million). Marking it is a superuser's step,
which ``bin/setup-db`` takes (in ``template1``, so every database created afterwards, test
databases included, has it; docs/intake.md says how for an existing server).
``similarity_op`` only compares two texts' trigram sets and raises no error on any value,
so it tells a policy nothing.

The threshold (0.3, pg_trgm's default: "Jon Smyth" finds "John Smith", 0.31) and two plan
settings are ``SET LOCAL`` around the queries and restored after them: the planner cannot see
the names inside the query's ``LATERAL`` and, for an organisation of tens of thousands of
parties, would read them all through the organisation's btree index instead of the trigram
bitmap (100-200 ms a name instead of 5-10; bench/README.md).

``similarity`` (``%``) rather than ``word_similarity`` (``<%``): on whole names the two agree
for misspellings, but word similarity matches any name that merely contains one short query
word ("Li" hits every "Lincoln"), which is noise for a conflict check and slower on a large
book (many more index candidates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from intake.models import ConflictCheck, Intake, PartyRole
from tenancy.context import current_organization_id
from tenancy.resolution import Tenant

MAX_NAMES = 20
MAX_NAME_LENGTH = 200
HITS_PER_NAME = 10
SIMILARITY_THRESHOLD = 0.3
# Parties are first searched at this higher threshold, which the trigram index answers with
# far fewer candidates; only the names that find fewer than HITS_PER_NAME parties there are
# searched again at SIMILARITY_THRESHOLD. Exact: when HITS_PER_NAME parties score at least
# this, every party below it ranks after them.
FIRST_THRESHOLD = 0.5

# Parties, for every name in one round trip: through their distinct names
# (intake_partyname), the names similar to the query, best first, that still have a party
# (the OFFSET 0 keeps the EXISTS out of the candidates: it is checked on the sorted names
# until enough are found), then their parties by exact name; at most HITS_PER_NAME a name.
_PARTIES = """
SELECT q.ord, 'party' AS kind, h.matched, h.role, h.matter, h.score
FROM unnest(%(names)s::text[], %(ords)s::int[]) AS q(name, ord)
CROSS JOIN LATERAL (
    SELECT p.name AS matched, p.role AS role, m.name AS matter, n.score AS score
    FROM (SELECT c.name, c.score
          FROM (SELECT pn.name, similarity(pn.name, q.name) AS score
                FROM intake_partyname pn
                WHERE pn.organization_id = %(org)s::bigint AND pn.name %% q.name
                ORDER BY score DESC, pn.name
                OFFSET 0) AS c
          WHERE EXISTS (SELECT 1 FROM intake_party x
                        WHERE x.organization_id = %(org)s::bigint AND x.name = c.name)
          LIMIT %(limit)s) AS n
    JOIN intake_party p ON p.organization_id = %(org)s::bigint AND p.name = n.name
    LEFT JOIN intake_matter m
      ON m.id = p.matter_id AND m.organization_id = p.organization_id
    ORDER BY n.score DESC, p.name
    LIMIT %(limit)s
) AS h
"""
# Matters, for every name in one round trip, at most HITS_PER_NAME a name.
_MATTERS = """
SELECT q.ord, 'matter' AS kind, h.name AS matched, '' AS role, h.name AS matter, h.score
FROM unnest(%(names)s::text[], %(ords)s::int[]) AS q(name, ord)
CROSS JOIN LATERAL (
    SELECT m.name, similarity(m.name, q.name) AS score
    FROM intake_matter m
    WHERE m.organization_id = %(org)s::bigint AND m.name %% q.name
    ORDER BY score DESC, m.name
    LIMIT %(limit)s
) AS h
"""
_PLAN = "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off"
_AFTER = (
    "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_indexscan TO DEFAULT; "
    "SET LOCAL pg_trgm.similarity_threshold TO DEFAULT"
)


def _threshold(value: float) -> str:
    return f"SET LOCAL pg_trgm.similarity_threshold = {float(value)}"


# What the bench explains: the search at the final threshold.
_BEFORE = f"{_threshold(SIMILARITY_THRESHOLD)}; {_PLAN}"


@dataclass(frozen=True)
class Hit:
    name: str  # the name that was checked
    matched: str  # the party's or matter's name
    kind: str  # "party" or "matter"
    role: str  # the party's role (PartyRole value), "" for a matter
    matter: str | None
    score: float

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "matched": self.matched,
            "kind": self.kind,
            "role": self.role,
            "matter": self.matter,
            "score": self.score,
        }


def clean_names(names: object) -> list[str]:
    """The names to check: strings, stripped, empty ones skipped, duplicates (ignoring case)
    once; at most ``MAX_NAMES`` of at most ``MAX_NAME_LENGTH`` characters, else a
    ``ValidationError`` on ``names`` naming each problem."""
    if not isinstance(names, list | tuple):
        raise ValidationError({"names": ["Give a list of names."]})
    problems: list[str] = []
    cleaned: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(names, start=1):
        if not isinstance(raw, str):
            problems.append(f"Name {position} must be text.")
            continue
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > MAX_NAME_LENGTH:
            problems.append(f"Name {position} is longer than {MAX_NAME_LENGTH} characters.")
            continue
        if "\x00" in name:
            problems.append(f"Name {position} contains a character that cannot be stored.")
            continue
        if name.upper() in seen:
            continue
        seen.add(name.upper())
        cleaned.append(name)
    if len(cleaned) > MAX_NAMES:
        problems.append(f"Check at most {MAX_NAMES} names at a time (got {len(cleaned)}).")
    if problems:
        raise ValidationError({"names": problems})
    return cleaned


def search_names(names: list[str]) -> list[Hit]:
    """Parties and matters of the current organisation similar to each of ``names``
    (already cleaned): per name at most ``HITS_PER_NAME``, best first. Runs in a
    transaction (its settings are ``SET LOCAL``)."""
    if not names:
        return []
    organization_id = current_organization_id()

    def params(ordinals: list[int]) -> dict[str, Any]:
        return {
            "names": [names[n - 1] for n in ordinals],
            "ords": ordinals,
            "org": organization_id,
            "limit": HITS_PER_NAME,
        }

    everyone = list(range(1, len(names) + 1))
    # Raw SQL: the ORM has no per-name LATERAL top-N nor SET LOCAL plan settings. It stays
    # in the tenant: every query names the organisation in context and runs as the
    # application role under row-level security (tests/intake/test_conflicts.py:
    # test_row_level_security_hides_other_organisations).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"{_threshold(FIRST_THRESHOLD)}; {_PLAN}")
        cursor.execute(_PARTIES, params(everyone))
        rows = cursor.fetchall()
        found: dict[int, int] = {}
        for row in rows:
            found[row[0]] = found.get(row[0], 0) + 1
        again = [n for n in everyone if found.get(n, 0) < HITS_PER_NAME]
        cursor.execute(_threshold(SIMILARITY_THRESHOLD))
        if again:
            rows = [row for row in rows if found[row[0]] >= HITS_PER_NAME]
            cursor.execute(_PARTIES, params(again))
            rows.extend(cursor.fetchall())
        cursor.execute(_MATTERS, params(everyone))
        rows.extend(cursor.fetchall())
        cursor.execute(_AFTER)
    by_name: dict[int, list[Hit]] = {}
    for ordinal, kind, matched, role, matter, score in rows:
        by_name.setdefault(ordinal, []).append(
            Hit(
                name=names[ordinal - 1],
                matched=matched,
                kind=kind,
                role=role,
                matter=matter,
                score=round(float(score), 3),
            )
        )
    hits: list[Hit] = []
    for ordinal in sorted(by_name):
        ranked = sorted(by_name[ordinal], key=lambda h: (-h.score, h.kind != "party", h.matched))
        hits.extend(ranked[:HITS_PER_NAME])
    return hits


def check_conflicts(*, actor: Tenant, intake: Intake, names: list[str]) -> ConflictCheck:
    """Check ``names`` (≤ 20, each ≤ 200 characters; blanks skipped) against the
    organisation's parties and matters and record the check, with its hits, on ``intake``.

    Advisory: it never blocks the intake. ``hits`` is a list of ``{"name", "matched",
    "kind": "party"|"matter", "role", "matter", "score"}``, per name best first. Raises
    ``ValidationError`` (field ``names``) before any lookup when the names are unusable.
    Names are personal data: nothing here logs them."""
    cleaned = clean_names(names)
    organization_id = current_organization_id()
    if intake.organization_id != organization_id:
        raise ValidationError("This intake belongs to another organisation.")
    with transaction.atomic():
        hits = search_names(cleaned)
        return ConflictCheck.objects.create(
            intake=intake,
            names=cleaned,
            hits=[hit.as_json() for hit in hits],
            checked_by=actor.membership,
        )


def role_label(role: str) -> str:
    """A hit's role in words ("Adverse party"); matters have none."""
    return str(PartyRole(role).label) if role in PartyRole.values else ""
