"""Scripts: creating them, editing a draft, approving and retiring versions.

Every definition is read through ``parse_definition`` before it is stored, so a bad edit is
refused with every problem listed and nothing is written. An approved version never changes:
a new draft (a copy) is edited and approved in its place, which retires the old one in the
same transaction. Configuration changes run inside ``audited(actor)`` for the audit trail.

Errors: ``ValidationError`` keyed by field (``name``, ``note``, ``location_ids``) for bad
input, ``DefinitionError`` (``.problems``) for a definition that is not well formed,
``ApprovalRefused`` (``.problems``) for one that cannot be approved, ``VersionFrozen`` for a
change to a version that is not a draft.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from intake.models import Script, ScriptKind, ScriptLocation, ScriptVersion, VersionStatus
from intake.scripts.definition import (
    ID_FORM,
    DefinitionError,
    approval_problems,
    empty_definition,
    has_unstorable_character,
    parse_definition,
)
from intake.scripts.templates import TEMPLATES
from tenancy.audit import audited
from tenancy.models import Location
from tenancy.resolution import Tenant

logger = logging.getLogger(__name__)

MAX_NAME = 120
MAX_DESCRIPTION = 300
MAX_NOTE = 200

TEMPLATE_KINDS: dict[str, str] = {
    "legal_intake": ScriptKind.LEGAL,
    "healthcare_access": ScriptKind.HEALTHCARE,
    "home_services": ScriptKind.HOME_SERVICES,
    "general_message": ScriptKind.GENERAL,
}

NAME_TAKEN = "Another script of this organisation already has this name."


class ApprovalRefused(Exception):
    """The draft cannot be approved; ``problems`` says why, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


class VersionFrozen(Exception):
    """A change to a version that is no longer a draft (approved or retired)."""

    def __init__(self, version: ScriptVersion) -> None:
        self.version = version
        super().__init__(
            f"Version {version.number} is {version.get_status_display().lower()}: it cannot "
            "change. Start a new draft instead."
        )


def actor_label(actor: Tenant) -> str:
    if actor.membership is not None:
        return actor.membership.user.get_username()
    if actor.api_key is not None:
        return f"API key {actor.api_key.name}"
    return "system"


# Input ------------------------------------------------------------------------------------


def _clean_text(value: object, field: str, limit: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: ["Must be text."]})
    text = value.strip()
    if required and not text:
        raise ValidationError({field: ["This is required."]})
    if len(text) > limit:
        raise ValidationError({field: [f"At most {limit} characters (this has {len(text)})."]})
    if has_unstorable_character(text):
        raise ValidationError({field: ["Remove the control characters."]})
    return text


def clean_name(value: object) -> str:
    return _clean_text(value, "name", MAX_NAME, required=True)


def _name_taken(name: str, *, other_than: Script | None = None) -> bool:
    existing = Script.objects.filter(name__iexact=name)
    if other_than is not None:
        existing = existing.exclude(pk=other_than.pk)
    return existing.exists()


def _parsed_json(definition: object) -> dict[str, Any]:
    """``definition`` as the canonical JSON that is stored; ``DefinitionError`` if bad."""
    return parse_definition(definition).to_json()


def _set_locations(script: Script, locations: Iterable[Location]) -> None:
    wanted = {location.pk: location for location in locations}
    current = set(
        ScriptLocation.objects.filter(script=script).values_list("location_id", flat=True)
    )
    ScriptLocation.objects.filter(script=script).exclude(location_id__in=wanted).delete()
    ScriptLocation.objects.bulk_create(
        [
            ScriptLocation(organization_id=script.organization_id, script=script, location=loc)
            for pk, loc in wanted.items()
            if pk not in current
        ]
    )


# Scripts ----------------------------------------------------------------------------------


def script_create(
    *,
    actor: Tenant,
    name: str,
    kind: str | None = None,
    description: str = "",
    template: str | None = None,
    definition: object = None,
    locations: Iterable[Location] = (),
) -> Script:
    """A new script with version 1 as a draft: a copy of built-in ``template``, the given
    ``definition``, or one empty section. Names are unique per organisation whatever their
    case (``ValidationError`` on ``name``)."""
    name = clean_name(name)
    description = _clean_text(description, "description", MAX_DESCRIPTION, required=False)
    if template and definition is not None:
        raise ValidationError({"template": ["Give a template or a definition, not both."]})
    if template:
        if template not in TEMPLATES:
            raise ValidationError({"template": ["There is no such template."]})
        doc = _parsed_json(copy.deepcopy(TEMPLATES[template].definition))
    elif definition is not None:
        doc = _parsed_json(definition)
    else:
        doc = empty_definition().to_json()
    if kind is None:
        kind = TEMPLATE_KINDS.get(template or "", ScriptKind.CUSTOM)
    if kind not in ScriptKind.values:
        raise ValidationError({"kind": ["Not a kind of script."]})
    if _name_taken(name):
        raise ValidationError({"name": [NAME_TAKEN]})
    try:
        with transaction.atomic(), audited(actor):
            script = Script.objects.create(name=name, kind=kind, description=description)
            _set_locations(script, locations)
            ScriptVersion.objects.create(
                script=script, number=1, definition=doc, created_by=actor.membership
            )
    except IntegrityError:
        # Created concurrently under the same name (the constraint ignores case).
        raise ValidationError({"name": [NAME_TAKEN]}) from None
    logger.info("Script created", extra={"script_id": script.pk})
    return script


def script_update(
    *,
    actor: Tenant,
    script: Script,
    name: str | None = None,
    description: str | None = None,
    locations: Iterable[Location] | None = None,
) -> Script:
    """Rename, describe, or limit ``script`` to ``locations`` (empty: every location)."""
    fields: list[str] = []
    if name is not None:
        script.name = clean_name(name)
        if _name_taken(script.name, other_than=script):
            raise ValidationError({"name": [NAME_TAKEN]})
        fields.append("name")
    if description is not None:
        script.description = _clean_text(
            description, "description", MAX_DESCRIPTION, required=False
        )
        fields.append("description")
    try:
        with transaction.atomic(), audited(actor):
            if fields:
                script.save(update_fields=fields)
            if locations is not None:
                _set_locations(script, locations)
    except IntegrityError:
        raise ValidationError({"name": [NAME_TAKEN]}) from None
    return script


# Versions ---------------------------------------------------------------------------------


def draft_of(script: Script) -> ScriptVersion | None:
    return ScriptVersion.objects.filter(script=script, status=VersionStatus.DRAFT).first()


def approved_of(script: Script) -> ScriptVersion | None:
    return ScriptVersion.objects.filter(script=script, status=VersionStatus.APPROVED).first()


def _next_number(script: Script) -> int:
    last = ScriptVersion.objects.filter(script=script).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _lock(script: Script) -> None:
    # One writer of a script's versions at a time: numbers, the one draft, the one approved.
    Script.objects.select_for_update().filter(pk=script.pk).first()


def draft_start(*, actor: Tenant, script: Script) -> ScriptVersion:
    """The script's draft: the one in progress, or a new one copied from the approved
    version (else from the latest version, else empty). A script has one draft at most."""
    with transaction.atomic(), audited(actor):
        _lock(script)
        draft = draft_of(script)
        if draft is not None:
            return draft
        source = approved_of(script) or ScriptVersion.objects.filter(script=script).first()
        doc = copy.deepcopy(source.definition) if source else empty_definition().to_json()
        return ScriptVersion.objects.create(
            script=script,
            number=_next_number(script),
            definition=doc,
            created_by=actor.membership,
        )


def version_definition_set(
    *, actor: Tenant, version: ScriptVersion, definition: object
) -> ScriptVersion:
    """Replace a draft's definition. ``DefinitionError`` (nothing saved) when it is not well
    formed; ``VersionFrozen`` when ``version`` is approved or retired."""
    doc = _parsed_json(definition)
    with transaction.atomic(), audited(actor):
        locked = ScriptVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise VersionFrozen(locked)
        locked.definition = doc
        locked.save(update_fields=["definition", "updated_at"])
    version.definition = doc
    version.updated_at = locked.updated_at
    return locked


def draft_save(*, actor: Tenant, script: Script, definition: object) -> ScriptVersion:
    """Replace the script's draft definition (a draft is started when there is none)."""
    parse_definition(definition)  # Refuse before starting a draft for nothing.
    draft = draft_of(script) or draft_start(actor=actor, script=script)
    return version_definition_set(actor=actor, version=draft, definition=definition)


def clean_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise ValidationError({"note": ["Must be text."]})
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(
            {"note": [f"The note is {len(text)} characters long; at most {MAX_NOTE}."]}
        )
    if has_unstorable_character(text):
        raise ValidationError({"note": ["Remove the control characters."]})
    return text


def problems_of(version: ScriptVersion) -> list[str]:
    """What stops ``version`` from being approved (empty when nothing does)."""
    try:
        defn = parse_definition(version.definition)
    except DefinitionError as error:
        return error.problems
    return approval_problems(defn)


def version_approve(*, actor: Tenant, version: ScriptVersion, note: object = "") -> ScriptVersion:
    """Approve a draft: agents get it from their next intake on. The approved version it
    replaces is retired in the same transaction. ``ApprovalRefused`` while
    ``approval_problems`` lists anything; ``VersionFrozen`` for a version not a draft."""
    text = clean_note(note)
    with transaction.atomic(), audited(actor):
        _lock(version.script)
        locked = ScriptVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise VersionFrozen(locked)
        problems = problems_of(locked)
        if problems:
            raise ApprovalRefused(problems)
        now = timezone.now()
        previous = approved_of(locked.script)
        if previous is not None:
            previous.status = VersionStatus.RETIRED
            previous.retired_at = now
            previous.save(update_fields=["status", "retired_at", "updated_at"])
        locked.status = VersionStatus.APPROVED
        locked.approved_by = actor.membership
        locked.approved_by_label = actor_label(actor)
        locked.approved_at = now
        locked.note = text
        locked.save(
            update_fields=[
                "status",
                "approved_by",
                "approved_by_label",
                "approved_at",
                "note",
                "updated_at",
            ]
        )
    logger.info(
        "Script version approved",
        extra={"script_id": locked.script_id, "script_version": locked.number},
    )
    return locked


def version_retire(*, actor: Tenant, version: ScriptVersion) -> ScriptVersion:
    """Take an approved version out of use: agents no longer get the script until a new
    version is approved. ``VersionFrozen`` unless it is the approved version."""
    with transaction.atomic(), audited(actor):
        locked = ScriptVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.APPROVED:
            raise VersionFrozen(locked)
        locked.status = VersionStatus.RETIRED
        locked.retired_at = timezone.now()
        locked.save(update_fields=["status", "retired_at", "updated_at"])
    return locked


# Builder edits: pure functions from one definition (JSON) to the next. The views apply one
# and save the result with ``version_definition_set``, which checks it whole.


def _slug(label: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    if not text or not text[0].isalpha():
        text = "f_" + text
    return text[:32].rstrip("_") or "field"


def new_id(label: str, taken: Iterable[str]) -> str:
    """An id for a new field or section, from its label, unlike any of ``taken``."""
    used = set(taken)
    base = _slug(label)
    candidate = base
    n = 2
    while candidate in used or not ID_FORM.fullmatch(candidate):
        candidate = f"{base}_{n}"
        n += 1
    return candidate


def _sections(doc: dict[str, Any]) -> list[dict[str, Any]]:
    sections = doc.get("sections")
    return sections if isinstance(sections, list) else []


def field_ids(doc: dict[str, Any]) -> list[str]:
    return [
        f.get("id", "") for s in _sections(doc) for f in s.get("fields", []) if isinstance(f, dict)
    ]


def with_section_added(doc: dict[str, Any], title: str) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    taken = [s.get("id", "") for s in _sections(new)]
    new.setdefault("sections", []).append(
        {"id": new_id(title, taken), "title": title, "fields": []}
    )
    return new


def with_section_title(doc: dict[str, Any], section_id: str, title: str) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    for section in _sections(new):
        if section.get("id") == section_id:
            section["title"] = title
    return new


def with_section_removed(doc: dict[str, Any], section_id: str) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    new["sections"] = [s for s in _sections(new) if s.get("id") != section_id]
    return new


def with_section_moved(doc: dict[str, Any], section_id: str, step: int) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    sections = _sections(new)
    for index, section in enumerate(sections):
        if section.get("id") == section_id:
            other = index + step
            if 0 <= other < len(sections):
                sections[index], sections[other] = sections[other], sections[index]
            break
    return new


def with_field_added(doc: dict[str, Any], section_id: str, field: dict[str, Any]) -> dict[str, Any]:
    """``field`` appended to the section; its id made from its label when it has none."""
    new = copy.deepcopy(doc)
    field = dict(field)
    if not field.get("id"):
        field = {"id": new_id(str(field.get("label", "")), field_ids(new)), **field}
    for section in _sections(new):
        if section.get("id") == section_id:
            section.setdefault("fields", []).append(field)
    return new


def with_field_replaced(
    doc: dict[str, Any], field_id: str, field: dict[str, Any]
) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    for section in _sections(new):
        fields = section.get("fields", [])
        for index, existing in enumerate(fields):
            if isinstance(existing, dict) and existing.get("id") == field_id:
                fields[index] = {**field, "id": field_id}
    return new


def with_field_removed(doc: dict[str, Any], field_id: str) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    for section in _sections(new):
        section["fields"] = [
            f
            for f in section.get("fields", [])
            if not (isinstance(f, dict) and f.get("id") == field_id)
        ]
    return new


def with_field_moved(doc: dict[str, Any], field_id: str, step: int) -> dict[str, Any]:
    """The field one place up (``step=-1``) or down (``+1``); past the first or last of its
    section it moves into the section before or after."""
    new = copy.deepcopy(doc)
    sections = _sections(new)
    for s_index, section in enumerate(sections):
        fields = section.get("fields", [])
        for index, existing in enumerate(fields):
            if not (isinstance(existing, dict) and existing.get("id") == field_id):
                continue
            other = index + step
            if 0 <= other < len(fields):
                fields[index], fields[other] = fields[other], fields[index]
            elif 0 <= s_index + step < len(sections):
                fields.pop(index)
                target = sections[s_index + step].setdefault("fields", [])
                if step < 0:
                    target.append(existing)
                else:
                    target.insert(0, existing)
            return new
    return new


def with_read_aloud(
    doc: dict[str, Any],
    *,
    greeting: str,
    disclaimers: list[str],
    closing: str,
    notices: list[str],
) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    new["read_aloud"] = {"greeting": greeting, "disclaimers": disclaimers, "closing": closing}
    new["notices"] = notices
    return new
