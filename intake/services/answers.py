"""Reading an intake's answers as the reader's role allows, and the log of health reads.

Answers are stored split by sensitivity (``intake.models.Intake``): ordinary ones in
``answers`` (JSON), personal and health ones as encrypted JSON text in ``personal_answers``
and ``health_answers``; everything the agent typed, valid or not, in ``raw_answers``
(encrypted JSON). Only this module turns those columns back into answers for a reader:

- ``read_answers`` gives what the reader's capabilities allow (READ_PERSONAL, READ_HEALTH);
  a field they may not read is there with the words ``HIDDEN`` instead of its answer;
- whenever health answers are returned, a ``SensitiveRead`` row (who, which fields, when,
  how) is written in the same transaction as the read.

Answers never go to logs, URLs or notifications: nothing here logs a value.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from intake.capabilities import IntakeCapability
from intake.models import Intake, SensitiveRead
from intake.scripts.definition import Definition, DefinitionError, Sensitivity, parse_definition
from tenancy.resolution import Tenant

HIDDEN = "Hidden for your role"
# ``SensitiveRead.via``: where a read was served (the column holds 10 characters).
VIA_FORM = "form"
VIA_API = "api"
VIA_PAGE = "page"


def decode(text: str | None) -> dict[str, Any]:
    """An encrypted JSON column's plaintext as a dict (empty for blank or damaged text)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def encode(values: dict[str, Any]) -> str:
    """A dict as compact JSON for an encrypted column; empty text for no answers."""
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False) if values else ""


# Parsed definitions of approved versions, which never change once approved (the scripts
# services refuse to): (organisation, version, last change) → Definition. Per process,
# bounded; the form and every autosave read it.
_PARSED: dict[tuple[int, int, object], Definition] = {}
_PARSED_LIMIT = 512


def definition_of(intake: Intake) -> Definition:
    """The definition of the intake's script version (approved, so well formed); an empty
    one if a stored definition no longer parses."""
    version = intake.script_version
    key = (version.organization_id, version.pk, version.updated_at)
    found = _PARSED.get(key)
    if found is not None:
        return found
    try:
        parsed = parse_definition(version.definition)
    except DefinitionError:
        parsed = Definition()
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    _PARSED[key] = parsed
    return parsed


def _reader_label(actor: Tenant) -> str:
    if actor.membership is not None:
        user = actor.membership.user
        return (user.get_full_name() or user.email or user.get_username())[:200]
    if actor.api_key is not None:
        return f"API key {actor.api_key.name}"[:200]
    return actor.role


def log_health_read(*, actor: Tenant, intake: Intake, field_ids: list[str], via: str) -> None:
    """Record that ``actor`` was shown the health answers ``field_ids`` of ``intake``."""
    if not field_ids:
        return
    SensitiveRead.objects.create(
        intake=intake,
        reader=actor.membership,
        reader_label=_reader_label(actor),
        field_ids=sorted(field_ids),
        via=via[:10],
    )


def read_answers(*, actor: Tenant, intake: Intake, via: str) -> dict[str, object]:
    """The intake's valid answers as ``actor`` may see them: field id → answer, in the
    script's order; personal and health answers the role may not read are ``HIDDEN``.
    Returning any health answer writes a ``SensitiveRead`` row in the same transaction."""
    definition = definition_of(intake)
    may_personal = actor.can(IntakeCapability.READ_PERSONAL)
    may_health = actor.can(IntakeCapability.READ_HEALTH)
    stored: dict[Sensitivity, dict[str, Any]] = {
        Sensitivity.ORDINARY: dict(intake.answers or {}),
        Sensitivity.PERSONAL: decode(intake.personal_answers) if may_personal else {},
        Sensitivity.HEALTH: decode(intake.health_answers) if may_health else {},
    }
    hidden_personal = set() if may_personal else set(decode(intake.personal_answers))
    hidden_health = set() if may_health else set(decode(intake.health_answers))
    result: dict[str, object] = {}
    health_read: list[str] = []
    for f in definition.fields:
        if f.id in hidden_personal or f.id in hidden_health:
            result[f.id] = HIDDEN
            continue
        group = stored[f.sensitivity]
        if f.id in group:
            result[f.id] = group[f.id]
            if f.sensitivity == Sensitivity.HEALTH:
                health_read.append(f.id)
    with transaction.atomic():
        log_health_read(actor=actor, intake=intake, field_ids=health_read, via=via)
    return result


def typed_answers(*, actor: Tenant, intake: Intake, via: str = VIA_FORM) -> dict[str, Any]:
    """What the agent typed into the draft, valid or not, to show it again in the form.
    Health fields with something typed count as a health read and are logged."""
    raw = decode(intake.raw_answers)
    if not raw:
        return {}
    definition = definition_of(intake)
    health = [
        f.id
        for f in definition.fields
        if f.sensitivity == Sensitivity.HEALTH and _typed(raw.get(f.id))
    ]
    if health:
        if not actor.can(IntakeCapability.READ_HEALTH):
            for field_id in health:
                raw.pop(field_id, None)
        else:
            with transaction.atomic():
                log_health_read(actor=actor, intake=intake, field_ids=health, via=via)
    return raw


def _typed(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return any(_typed(v) for v in value)
    if isinstance(value, dict):
        return any(_typed(v) for v in value.values())
    return True
