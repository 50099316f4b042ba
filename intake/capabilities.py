"""What intake lets each role do, added to tenancy's table of roles (tenancy.roles.grant)."""

from __future__ import annotations

from enum import StrEnum

from tenancy.roles import Role, grant


class IntakeCapability(StrEnum):
    # Work intakes: the agent's home, opening and completing intakes, the caller's history.
    WORK_INTAKES = "work_intakes"
    # See intakes of the organisation's locations (not only one's own), leads and cases.
    VIEW_INTAKES = "view_intakes"
    # Build scripts and edit drafts; approve and retire versions.
    MANAGE_SCRIPTS = "manage_scripts"
    APPROVE_SCRIPTS = "approve_scripts"
    # Read personal answers (names, numbers, dates of birth) and health answers.
    READ_PERSONAL = "read_personal_answers"
    READ_HEALTH = "read_health_answers"
    # Leads, appointments and cases: move them along, escalate, resolve.
    WORK_CASES = "work_cases"
    # Parties, matters, handoff recipients and the escalation path.
    MANAGE_INTAKE_SETUP = "manage_intake_setup"
    # QA: define scorecards, score completed work, read accuracy.
    REVIEW_QUALITY = "review_quality"
    VIEW_QUALITY = "view_quality"
    # The log of every read of a health answer.
    VIEW_SENSITIVE_READS = "view_sensitive_reads"


grant(
    {
        IntakeCapability.WORK_INTAKES: {Role.OWNER, Role.SUPERVISOR, Role.AGENT},
        IntakeCapability.VIEW_INTAKES: {Role.OWNER, Role.SUPERVISOR, Role.AGENT, Role.QA},
        IntakeCapability.MANAGE_SCRIPTS: {Role.OWNER, Role.SUPERVISOR},
        IntakeCapability.APPROVE_SCRIPTS: {Role.OWNER, Role.SUPERVISOR},
        IntakeCapability.READ_PERSONAL: {Role.OWNER, Role.SUPERVISOR, Role.AGENT, Role.QA},
        IntakeCapability.READ_HEALTH: {Role.OWNER, Role.SUPERVISOR, Role.AGENT},
        IntakeCapability.WORK_CASES: {Role.OWNER, Role.SUPERVISOR, Role.AGENT},
        IntakeCapability.MANAGE_INTAKE_SETUP: {Role.OWNER, Role.SUPERVISOR},
        IntakeCapability.REVIEW_QUALITY: {Role.OWNER, Role.SUPERVISOR, Role.QA},
        IntakeCapability.VIEW_QUALITY: {Role.OWNER, Role.SUPERVISOR, Role.QA, Role.LEADERSHIP},
        IntakeCapability.VIEW_SENSITIVE_READS: {Role.OWNER},
    }
)
