"""Cases: reactive work (a complaint, a billing question, a service failure) on the
organisation's escalation path, with a resolution target and a history of who did what,
why and when (``CaseEvent``).

``open_case`` is what other areas call when an intake's disposition needs follow-up. A
caller who comes back about the same thing shortly after it was resolved reopens their case
rather than starting a new one.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.capabilities import IntakeCapability
from intake.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseEventKind,
    CasePriority,
    CaseStatus,
    EscalationTier,
    Intake,
)
from tenancy.audit import audited
from tenancy.models import Location, Membership
from tenancy.resolution import Tenant
from tenancy.roles import role_can

# A resolved case of the same contact number and category resolved within this window is
# reopened instead of a new case being opened.
REOPEN_WINDOW = timedelta(days=30)

# How long each priority has from opening (or reopening) to resolution: a case past its
# ``resolve_by`` is overdue on the cases list.
RESOLVE_TARGETS: dict[str, timedelta] = {
    CasePriority.URGENT: timedelta(hours=4),
    CasePriority.HIGH: timedelta(days=1),
    CasePriority.NORMAL: timedelta(days=3),
    CasePriority.LOW: timedelta(days=7),
}

# The root-cause tags a resolution must choose from (stored as the words themselves).
ROOT_CAUSES: tuple[str, ...] = (
    "Staffing",
    "Process",
    "Product or service",
    "Billing error",
    "Communication",
    "Caller error",
    "Other",
)

# The path created for an organisation that has none: (name, what the tier may decide).
DEFAULT_TIERS: tuple[tuple[str, str], ...] = (
    ("Frontline", "may answer questions, take messages and log complaints"),
    ("Specialist", "may adjust bills and schedule service visits"),
    ("Supervisor", "may issue refunds and close complaints"),
)

SUBJECT_LIMIT = 200
REASON_LIMIT = 1000
TIER_NAME_LIMIT = 60
MAY_DECIDE_LIMIT = 300
MAX_TIERS = 10

OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.ESCALATED, CaseStatus.REOPENED)


def actor_label(actor: Tenant | None) -> str:
    """Who acted, in words kept on the record (the member may be deactivated later)."""
    if actor is None:
        return "system"
    if actor.membership is not None:
        user = actor.membership.user
        return user.get_full_name() or user.email or user.get_username()
    if actor.api_key is not None:
        return f"API key {actor.api_key.name}"
    return "system"


def _event(
    case: Case,
    kind: str,
    actor: Tenant | None,
    *,
    reason: str = "",
    from_tier: str = "",
    to_tier: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor.membership if actor is not None else None,
        actor_label=actor_label(actor)[:200],
        reason=reason[:REASON_LIMIT],
        from_tier=from_tier[:TIER_NAME_LIMIT],
        to_tier=to_tier[:TIER_NAME_LIMIT],
    )


def _required_text(field: str, value: str, limit: int, missing: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [missing]})
    if len(text) > limit:
        raise ValidationError({field: [f"Keep it under {limit} characters."]})
    return text


def ensure_escalation_path() -> list[EscalationTier]:
    """The organisation's escalation path, lowest tier first; the default path
    (Frontline → Specialist → Supervisor) is created when it has none."""
    tiers = list(EscalationTier.objects.order_by("level"))
    if tiers:
        return tiers
    with transaction.atomic(), audited(None):
        for level, (name, may_decide) in enumerate(DEFAULT_TIERS, start=1):
            EscalationTier.objects.get_or_create(
                level=level, defaults={"name": name, "may_decide": may_decide}
            )
    return list(EscalationTier.objects.order_by("level"))


def open_case(
    *,
    actor: Tenant | None,
    subject: str,
    category: str,
    priority: str = "normal",
    location: Location | None = None,
    intake: Intake | None = None,
    contact_name: str = "",
    contact_phone: str = "",
) -> Case:
    """Open a case at the first tier of the path, due by the priority's target
    (``RESOLVE_TARGETS``). If the same contact number had a case of the same category
    resolved within ``REOPEN_WINDOW``, that case is reopened instead (and returned)."""
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = ["Say in a few words what the case is about."]
    elif len(subject) > SUBJECT_LIMIT:
        errors["subject"] = [f"Keep the subject under {SUBJECT_LIMIT} characters."]
    if category not in CaseCategory.values:
        errors["category"] = [
            "Choose one of: " + ", ".join(str(label) for label in CaseCategory.labels) + "."
        ]
    if priority not in CasePriority.values:
        errors["priority"] = [
            "Choose one of: " + ", ".join(str(label) for label in CasePriority.labels) + "."
        ]
    if len(contact_name or "") > 200:
        errors["contact_name"] = ["Keep the name under 200 characters."]
    if len(contact_phone or "") > 16:
        errors["contact_phone"] = ["Enter the number as E.164 (+ and up to 15 digits)."]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    tiers = ensure_escalation_path()
    with transaction.atomic():
        if contact_phone:
            earlier = (
                Case.objects.select_for_update()
                .filter(
                    contact_phone=contact_phone,
                    category=category,
                    status=CaseStatus.RESOLVED,
                    resolved_at__gte=now - REOPEN_WINDOW,
                )
                .order_by("-resolved_at")
                .first()
            )
            if earlier is not None:
                return _reopen(
                    earlier,
                    actor,
                    f"The same caller called again about {CaseCategory(category).label.lower()}"
                    f" within {REOPEN_WINDOW.days} days: “{subject}”.",
                )
        case = Case.objects.create(
            subject=subject,
            category=category,
            priority=priority,
            location=location,
            intake=intake,
            contact_name=(contact_name or "").strip(),
            contact_phone=contact_phone or "",
            tier=tiers[0],
            status=CaseStatus.OPEN,
            resolve_by=now + RESOLVE_TARGETS[priority],
        )
        _event(case, CaseEventKind.OPENED, actor, reason=subject, to_tier=tiers[0].name)
    return case


def _reopen(case: Case, actor: Tenant | None, reason: str) -> Case:
    case.status = CaseStatus.REOPENED
    case.reopened_count += 1
    case.resolved_at = None
    case.resolve_by = timezone.now() + RESOLVE_TARGETS[case.priority]
    case.save(update_fields=["status", "reopened_count", "resolved_at", "resolve_by", "updated_at"])
    _event(case, CaseEventKind.REOPENED, actor, reason=reason)
    return case


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("tier").get(pk=case.pk)


def escalate(*, actor: Tenant, case: Case, reason: str) -> Case:
    """Move ``case`` to the next tier of the path, recording from which tier to which, who
    and why. Refused for a resolved case and at the last tier."""
    reason = _required_text("reason", reason, REASON_LIMIT, "Say why the case needs the next tier.")
    tiers = ensure_escalation_path()
    with transaction.atomic():
        current = _locked(case)
        if current.status == CaseStatus.RESOLVED:
            raise ValidationError({"reason": ["This case is resolved: reopen it to escalate."]})
        level = current.tier.level if current.tier is not None else 0
        higher = [tier for tier in tiers if tier.level > level]
        if not higher:
            name = current.tier.name if current.tier is not None else "the last tier"
            raise ValidationError(
                {
                    "reason": [
                        f"This case is already at {name}, the last tier of the escalation path: "
                        "there is no one higher to escalate to."
                    ]
                }
            )
        from_name = current.tier.name if current.tier is not None else ""
        current.tier = higher[0]
        current.status = CaseStatus.ESCALATED
        current.save(update_fields=["tier", "status", "updated_at"])
        _event(
            current,
            CaseEventKind.ESCALATED,
            actor,
            reason=reason,
            from_tier=from_name,
            to_tier=higher[0].name,
        )
    return current


def resolve(*, actor: Tenant, case: Case, root_cause: str, resolution: str) -> Case:
    """Resolve ``case`` with a root cause (one of ``ROOT_CAUSES``) and what was done."""
    errors: dict[str, list[str]] = {}
    if root_cause not in ROOT_CAUSES:
        errors["root_cause"] = ["Choose the root cause: " + ", ".join(ROOT_CAUSES) + "."]
    try:
        resolution = _required_text(
            "resolution", resolution, REASON_LIMIT, "Say how the case was resolved."
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _locked(case)
        if current.status == CaseStatus.RESOLVED:
            raise ValidationError({"resolution": ["This case is already resolved."]})
        current.status = CaseStatus.RESOLVED
        current.resolved_at = timezone.now()
        current.root_cause = root_cause
        current.resolution = resolution
        current.save(
            update_fields=["status", "resolved_at", "root_cause", "resolution", "updated_at"]
        )
        _event(current, CaseEventKind.RESOLVED, actor, reason=f"{root_cause}: {resolution}")
    return current


def reopen(*, actor: Tenant, case: Case, reason: str) -> Case:
    """Reopen a resolved case, with why; it gets a fresh resolution target."""
    reason = _required_text("reason", reason, REASON_LIMIT, "Say why the case is reopened.")
    with transaction.atomic():
        current = _locked(case)
        if current.status != CaseStatus.RESOLVED:
            raise ValidationError({"reason": ["Only a resolved case can be reopened."]})
        return _reopen(current, actor, reason)


def can_own_cases(membership: Membership) -> bool:
    return membership.is_active and role_can(membership.role, IntakeCapability.WORK_CASES)


def assign(*, actor: Tenant, case: Case, owner: Membership) -> Case:
    """Give ``case`` to ``owner``, an active member whose role works cases."""
    if not can_own_cases(owner):
        raise ValidationError(
            {"owner": ["Choose an active owner, supervisor or agent: they work cases."]}
        )
    with transaction.atomic():
        current = _locked(case)
        if current.owner_id == owner.pk:
            return current
        current.owner = owner
        current.save(update_fields=["owner", "updated_at"])
        user = owner.user
        _event(
            current,
            CaseEventKind.ASSIGNED,
            actor,
            reason=f"Assigned to {user.get_full_name() or user.email or user.get_username()}.",
        )
    return current


# The escalation path's setup (MANAGE_INTAKE_SETUP) ---------------------------------------


def _tier_text(name: str, may_decide: str, prefix: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    may_decide = (may_decide or "").strip()
    if not name:
        errors[f"{prefix}name"] = ["Name the tier."]
    elif len(name) > TIER_NAME_LIMIT:
        errors[f"{prefix}name"] = [f"Keep the name under {TIER_NAME_LIMIT} characters."]
    if len(may_decide) > MAY_DECIDE_LIMIT:
        errors[f"{prefix}may_decide"] = [f"Keep it under {MAY_DECIDE_LIMIT} characters."]
    if errors:
        raise ValidationError(errors)
    return name, may_decide


def tiers_save(*, actor: Tenant, changes: dict[int, tuple[str, str]]) -> list[EscalationTier]:
    """Rename tiers and change what they may decide: ``{tier id: (name, may_decide)}``.
    Every tier named must exist; errors are keyed ``tier-<id>-name``."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, tuple[str, str]] = {}
    for pk, (name, may_decide) in changes.items():
        try:
            cleaned[pk] = _tier_text(name, may_decide, f"tier-{pk}-")
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), audited(actor):
        tiers = {t.pk: t for t in EscalationTier.objects.select_for_update()}
        for pk, (name, may_decide) in cleaned.items():
            tier = tiers.get(pk)
            if tier is None:
                raise ValidationError(
                    {"__all__": ["The path changed in the meantime: check it and try again."]}
                )
            if (tier.name, tier.may_decide) != (name, may_decide):
                tier.name, tier.may_decide = name, may_decide
                tier.save(update_fields=["name", "may_decide"])
    return list(EscalationTier.objects.order_by("level"))


def tier_add(*, actor: Tenant, name: str, may_decide: str = "") -> EscalationTier:
    """Add a tier above the highest one."""
    name, may_decide = _tier_text(name, may_decide, "")
    ensure_escalation_path()
    with transaction.atomic(), audited(actor):
        tiers = list(EscalationTier.objects.select_for_update().order_by("level"))
        if len(tiers) >= MAX_TIERS:
            raise ValidationError({"name": [f"A path has at most {MAX_TIERS} tiers."]})
        level = (tiers[-1].level if tiers else 0) + 1
        return EscalationTier.objects.create(level=level, name=name, may_decide=may_decide)


def tier_remove(*, actor: Tenant, tier: EscalationTier) -> None:
    """Remove a tier no case is at; the tiers above move down one level. The path keeps at
    least one tier."""
    with transaction.atomic(), audited(actor):
        tiers = list(EscalationTier.objects.select_for_update().order_by("level"))
        if len(tiers) <= 1:
            raise ValidationError({"__all__": ["The path needs at least one tier."]})
        waiting = Case.objects.filter(tier=tier).count()
        if waiting:
            raise ValidationError(
                {
                    "__all__": [
                        f"{waiting} case{'s are' if waiting != 1 else ' is'} at {tier.name}: "
                        "escalate or resolve them before removing the tier."
                    ]
                }
            )
        EscalationTier.objects.filter(pk=tier.pk).delete()
        above = [t for t in tiers if t.level > tier.level]
        # Two steps, so that no two tiers share a level in between (unique per organisation).
        for t in above:
            EscalationTier.objects.filter(pk=t.pk).update(level=t.level + 1000)
        for t in above:
            EscalationTier.objects.filter(pk=t.pk).update(level=t.level - 1)


def tier_default_path(*, actor: Tenant) -> list[EscalationTier]:
    """Create the default path now (the first case would create it anyway)."""
    with audited(actor):
        return ensure_escalation_path()
