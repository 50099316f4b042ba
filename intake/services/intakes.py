"""Working an intake: starting one (from a call or by hand), saving the draft as the agent
types, the protocols that watch the answers, and completing it with a disposition.

Every function takes the acting ``Tenant`` and runs inside its tenant context. The draft is
saved whole on every change, with a ``revision`` counter: a save that names an older
revision than the stored one (another tab, another window) is refused (``StaleRevision``)
and changes nothing. Completion checks the answers against the script version the agent
saw (``clean_answers(complete=True)``); a refusal names every field and leaves the intake a
draft holding exactly what was typed.

Completion hands on in the same transaction: a lead for a lead disposition, a case for a
complaint or billing, the caller recorded as a prospective client where the script checks
conflicts (so the next caller's check finds them), and the handoffs to the location's
recipients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from foundation.phones import InvalidPhoneNumber, to_e164
from intake.models import (
    CASE_DISPOSITIONS,
    LEAD_DISPOSITIONS,
    CaseCategory,
    Channel,
    ConflictCheck,
    Disposition,
    Intake,
    IntakeStatus,
    ScriptVersion,
)
from intake.scripts.answers import (
    ADDRESS_KEYS,
    CleanResult,
    JSONable,
    clean_answers,
    split_by_sensitivity,
    visible_field_ids,
)
from intake.scripts.definition import Definition, FieldType, Sensitivity
from intake.scripts.protocols import (
    UrgentMatch,
    conflict_names,
    statute_warning,
    urgent_match,
)
from intake.selectors.workspace import version_allowed_at, zone_of
from intake.services import cases, conflicts, handoffs, leads, parties
from intake.services.answers import decode, definition_of, encode
from telephony.models import Call
from tenancy.models import Location
from tenancy.resolution import Tenant
from tenancy.roles import Role

NEXT_STEP_LIMIT = 300
CALLER_NAME_LIMIT = 200
# What one draft may hold, typed text included (a 200-field script of long texts fits).
RAW_LIMIT = 400_000
STALE_MESSAGE = (
    "This intake was changed in another tab or window since this one last saved, so these "
    "changes were not saved. Reload the page to see the latest answers, then carry on."
)
CLOSED_MESSAGE = "This intake is already completed; nothing was changed."


class StaleRevision(Exception):
    """The draft was saved elsewhere since the revision the caller names."""

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(STALE_MESSAGE)


class IntakeClosed(Exception):
    """The intake is completed: no more saves, no second completion."""

    def __init__(self) -> None:
        super().__init__(CLOSED_MESSAGE)


def may_work(actor: Tenant, intake: Intake) -> bool:
    """Agents work their own intakes (and unassigned ones); owners, supervisors and API keys
    work any of the organisation's."""
    if actor.membership is None or actor.role in (Role.OWNER, Role.SUPERVISOR):
        return True
    return intake.agent_id in (None, actor.membership.pk)


def run_conflict_check(*, actor: Tenant, intake: Intake, names: list[str]) -> ConflictCheck | None:
    """The conflict check of ``names``, recorded on ``intake``; ``None`` without names."""
    if not names:
        return None
    try:
        with transaction.atomic():
            result = conflicts.check_conflicts(actor=actor, intake=intake, names=names)
    except ValidationError:
        # Names the check cannot use (the engine already trims them): advisory, so the
        # draft is saved all the same and the panel shows the last check.
        return None
    return result if isinstance(result, ConflictCheck) else latest_conflict_check(intake)


def latest_conflict_check(intake: Intake) -> ConflictCheck | None:
    return ConflictCheck.objects.filter(intake=intake).order_by("-checked_at", "-id").first()


# Field ids the built-in templates give the caller's name, in order of preference.
_NAME_FIELDS = ("full_name", "caller_name", "patient_name", "name")


def _caller_name(definition: Definition, values: Mapping[str, Any]) -> str:
    """The caller's name from the answers: the conflict check's first name field (the
    caller's, by the templates' convention), else a field named like the caller's name."""
    check = definition.protocols.conflict_check
    candidates = [*(check.name_fields[:1] if check else ()), *_NAME_FIELDS]
    for field_id in candidates:
        answer = values.get(field_id)
        if isinstance(answer, str) and answer.strip():
            return " ".join(answer.split())[:200]
    return ""


def _open_case(
    *, actor: Tenant, intake: Intake, subject: str, category: str, priority: str
) -> bool:
    cases.open_case(
        actor=actor,
        subject=subject,
        category=category,
        priority=priority,
        location=intake.location,
        intake=intake,
        contact_name=intake.caller_name,
        contact_phone=intake.caller_phone,
    )
    return True


# Starting --------------------------------------------------------------------------------


def intake_start(
    *,
    actor: Tenant,
    script_version: ScriptVersion,
    channel: str = Channel.CALL,
    location: Location | None = None,
    call: Call | None = None,
    caller_phone: str = "",
    caller_name: str = "",
) -> Intake:
    """A new draft on ``script_version`` (approved, and allowed at the location) by the
    acting member. From a call, the call's location and number are the intake's, and a
    second start of the same call on the same script by the same agent returns the first
    draft instead of a duplicate. ``ValidationError`` by field otherwise."""
    errors: dict[str, list[str]] = {}
    if call is not None:
        location = call.location or location
        channel = Channel.CALL
        if call.contact is not None:
            caller_phone = caller_phone or call.contact.e164
            caller_name = caller_name or call.contact.name
    if channel not in Channel.values:
        errors["channel"] = [f"Choose one of: {', '.join(str(c.label) for c in Channel)}."]
    if not version_allowed_at(script_version, location):
        errors["script_version_id"] = [
            "Choose an approved script for this location."
            if script_version.status == "approved"
            else "Only an approved script version can be used for an intake."
        ]
    caller_phone = (caller_phone or "").strip()
    if caller_phone:
        try:
            caller_phone = to_e164(caller_phone, region=actor.organization.country)
        except InvalidPhoneNumber as error:
            errors["caller_phone"] = [error.message]
    caller_name = " ".join((caller_name or "").split())
    if len(caller_name) > CALLER_NAME_LIMIT:
        errors["caller_name"] = [f"At most {CALLER_NAME_LIMIT} characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if call is not None:
            existing = (
                Intake.objects.filter(
                    call_id=call.pk,
                    agent=actor.membership,
                    script_version=script_version,
                    status=IntakeStatus.DRAFT,
                )
                .order_by("started_at")
                .first()
            )
            if existing is not None:
                return existing
        return Intake.objects.create(
            script_version=script_version,
            location=location,
            channel=channel,
            call_id=call.pk if call is not None else None,
            caller_phone=caller_phone,
            caller_name=caller_name,
            agent=actor.membership,
        )


# Reading a form --------------------------------------------------------------------------

FIELD_PREFIX = "a-"


def answers_from_form(definition: Definition, data: Any) -> dict[str, object]:
    """The raw answers of a posted form (a ``QueryDict``): ``a-<field id>`` for each field
    (ticked values for multiple choice, ``a-<id>.<part>`` for an address). A posted answer
    to a field the script does not have is kept, so that ``clean_answers`` refuses it."""
    answers: dict[str, object] = {}
    for f in definition.fields:
        name = FIELD_PREFIX + f.id
        if f.type == FieldType.MULTIPLE_CHOICE:
            picked = data.getlist(name)
            if picked:
                answers[f.id] = picked
        elif f.type == FieldType.ADDRESS:
            parts = {key: data.get(f"{name}.{key}", "") for key in ADDRESS_KEYS}
            if any(parts.values()):
                answers[f.id] = parts
        elif name in data:
            answers[f.id] = data.get(name)
    for key in data:
        if key.startswith(FIELD_PREFIX):
            field_id = key[len(FIELD_PREFIX) :].split(".", 1)[0]
            if not definition.has_field(field_id):
                answers[field_id] = data.get(key)
    return answers


# Saving the draft ------------------------------------------------------------------------


@dataclass
class Protocols:
    """What the script's protocols say about the answers so far."""

    statute: str | None = None
    urgent: UrgentMatch | None = None
    conflict_names: list[str] = field(default_factory=list)
    conflict_check: ConflictCheck | None = None
    has_conflict_check: bool = False


@dataclass
class SaveResult:
    intake: Intake
    revision: int
    values: dict[str, JSONable]
    errors: dict[str, str]
    visible: set[str]
    protocols: Protocols
    case_opened: bool = False
    saved_at: datetime | None = None


def _today_at(intake: Intake) -> date:
    return timezone.now().astimezone(zone_of(intake.location, intake.organization)).date()


def protocols_for(
    definition: Definition, values: Mapping[str, JSONable], intake: Intake
) -> Protocols:
    return Protocols(
        statute=statute_warning(definition, values, today=_today_at(intake)),
        urgent=urgent_match(definition, values),
        conflict_names=conflict_names(definition, values),
        has_conflict_check=definition.protocols.conflict_check is not None,
    )


def _raw_for_storage(definition: Definition, answers: Mapping[str, object]) -> dict[str, Any]:
    # What was typed for the script's fields; other keys are refused by clean_answers and
    # not kept.
    return {key: value for key, value in answers.items() if definition.has_field(key)}


def _columns(definition: Definition, clean: CleanResult, raw: dict[str, Any]) -> dict[str, Any]:
    groups = split_by_sensitivity(definition, clean.values)
    raw_text = encode(raw)
    if len(raw_text) > RAW_LIMIT:
        raise ValidationError({"__all__": ["The answers are too long to save."]})
    return {
        "answers": groups[Sensitivity.ORDINARY],
        "personal_answers": encode(groups[Sensitivity.PERSONAL]),
        "health_answers": encode(groups[Sensitivity.HEALTH]),
        "raw_answers": raw_text,
    }


def intake_autosave(
    *,
    actor: Tenant,
    intake: Intake,
    revision: int,
    answers: Mapping[str, object],
    check_conflicts: bool = True,
) -> SaveResult:
    """Save everything typed (``answers``: field id → raw answer) as the draft, if
    ``revision`` is the stored one; the valid answers split by sensitivity, all of it in
    ``raw_answers``. Returns the errors per field and what the protocols say. An urgent
    match that escalates marks the intake urgent and opens an urgent case, once; a changed
    set of names runs the conflict check. ``StaleRevision`` / ``IntakeClosed`` change
    nothing."""
    if intake.status != IntakeStatus.DRAFT:
        raise IntakeClosed
    definition = definition_of(intake)
    clean = clean_answers(
        definition, answers, complete=False, region=actor.organization.country or "US"
    )
    columns = _columns(definition, clean, _raw_for_storage(definition, answers))
    protocols = protocols_for(definition, clean.values, intake)
    now = timezone.now()
    case_opened = False
    with transaction.atomic():
        updated = Intake.objects.filter(
            pk=intake.pk, revision=revision, status=IntakeStatus.DRAFT
        ).update(revision=F("revision") + 1, updated_at=now, **columns)
        if not updated:
            current = Intake.objects.filter(pk=intake.pk).values_list("status", "revision").first()
            if current is None or current[0] != IntakeStatus.DRAFT:
                raise IntakeClosed
            raise StaleRevision(current[1])
        intake.revision = revision + 1
        intake.updated_at = now
        for name, value in columns.items():
            setattr(intake, name, value)
        match = protocols.urgent
        escalate = match is not None and match.escalate and not intake.urgent
        if escalate and Intake.objects.filter(pk=intake.pk, urgent=False).update(urgent=True):
            intake.urgent = True
            case_opened = _open_case(
                actor=actor,
                intake=intake,
                subject="Urgent call: the script's urgent protocol matched",
                category=CaseCategory.QUESTION,
                priority="urgent",
            )
        if protocols.has_conflict_check:
            latest = latest_conflict_check(intake)
            if (
                check_conflicts
                and protocols.conflict_names
                and (latest is None or list(latest.names) != protocols.conflict_names)
            ):
                latest = (
                    run_conflict_check(actor=actor, intake=intake, names=protocols.conflict_names)
                    or latest
                )
            protocols.conflict_check = latest
    return SaveResult(
        intake=intake,
        revision=intake.revision,
        values=clean.values,
        errors=clean.errors,
        visible=visible_field_ids(definition, answers),
        protocols=protocols,
        case_opened=case_opened,
        saved_at=now,
    )


def intake_check_conflicts(
    *, actor: Tenant, intake: Intake
) -> tuple[list[str], ConflictCheck | None]:
    """Run the conflict check on the names of the saved answers, whatever ran before."""
    definition = definition_of(intake)
    values = {**(intake.answers or {}), **decode(intake.personal_answers)}
    names = conflict_names(definition, values)
    with transaction.atomic():
        check = run_conflict_check(actor=actor, intake=intake, names=names)
    return names, check


# Completing ------------------------------------------------------------------------------


@dataclass
class Completion:
    intake: Intake
    follow_ups: list[str]


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def intake_complete(
    *,
    actor: Tenant,
    intake: Intake,
    disposition: str,
    next_step: str = "",
    answers: Mapping[str, object] | None = None,
    revision: int | None = None,
    script_version_id: int | None = None,
) -> Completion:
    """Complete the draft with ``disposition`` (and, for a lead, ``next_step``).

    ``answers`` (raw, as typed) are saved as the draft first, when given; otherwise the
    stored draft is what is completed. The answers must match the intake's script version
    (every shown required field answered, each answer of its type and within its choices,
    nothing answered that the script hides); ``script_version_id``, when a client sends
    it, must be the intake's. A refusal is a ``ValidationError`` by field and leaves the
    intake a draft. In one transaction on success: the intake completed, then the lead
    (lead dispositions), the case (complaint, billing) and the handoffs.
    """
    if intake.status != IntakeStatus.DRAFT:
        raise IntakeClosed
    if script_version_id is not None and script_version_id != intake.script_version_id:
        _refuse(
            {
                "script_version_id": [
                    "This intake was started on another version of the script: reload the "
                    "page and complete it on the version it was started with."
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    if disposition not in Disposition.values:
        errors["disposition"] = ["Choose how the call ended (the disposition)."]
    next_step = " ".join((next_step or "").split())
    if len(next_step) > NEXT_STEP_LIMIT:
        errors["next_step"] = [f"At most {NEXT_STEP_LIMIT} characters (it has {len(next_step)})."]
    elif disposition in LEAD_DISPOSITIONS and not next_step:
        errors["next_step"] = ["A lead needs a next step: what happens next, and who does it."]
    definition = definition_of(intake)
    if answers is not None:
        saved = intake_autosave(
            actor=actor,
            intake=intake,
            revision=intake.revision if revision is None else revision,
            answers=answers,
            check_conflicts=False,
        )
        intake = saved.intake
        raw: Mapping[str, object] = answers
    else:
        raw = decode(intake.raw_answers)
    clean = clean_answers(definition, raw, complete=True, region=actor.organization.country or "US")
    for key, message in clean.errors.items():
        errors.setdefault(key, []).append(message)
    _refuse(errors)
    follow_ups: list[str] = []
    with transaction.atomic():
        locked = Intake.objects.select_for_update().filter(pk=intake.pk).only("status").first()
        if locked is None or locked.status != IntakeStatus.DRAFT:
            raise IntakeClosed
        columns = _columns(definition, clean, _raw_for_storage(definition, raw))
        now = timezone.now()
        # The name the agent took reaches the lead, the case and the handoffs when the
        # call did not bring one.
        caller_name = intake.caller_name or _caller_name(definition, clean.values)
        Intake.objects.filter(pk=intake.pk).update(
            status=IntakeStatus.COMPLETED,
            caller_name=caller_name,
            completed_at=now,
            updated_at=now,
            disposition=disposition,
            next_step=next_step,
            revision=F("revision") + 1,
            **columns,
        )
        intake.refresh_from_db()
        if disposition in LEAD_DISPOSITIONS:
            leads.lead_from_intake(actor=actor, intake=intake)
            follow_ups.append("lead")
        if disposition in CASE_DISPOSITIONS:
            category = (
                CaseCategory.COMPLAINT
                if disposition == Disposition.COMPLAINT
                else CaseCategory.BILLING
            )
            label = Disposition(disposition).label
            if _open_case(
                actor=actor,
                intake=intake,
                subject=f"{label} taken on an intake ({intake.script_version.script.name})"[:200],
                category=category,
                priority="normal",
            ):
                follow_ups.append("case")
        if definition.protocols.conflict_check is not None and intake.caller_name:
            parties.record_prospect(intake=intake, name=intake.caller_name)
            follow_ups.append("prospect")
        handoffs.queue_handoffs(intake=intake)
        follow_ups.append("handoffs")
    return Completion(intake=intake, follow_ups=follow_ups)
