"""Intake's entries in the organisation's navigation (collected by tenancy.navigation)."""

from __future__ import annotations

from intake.capabilities import IntakeCapability
from tenancy.navigation import ADMINISTRATION, NavEntry, Section

# After routing's Coverage section (200): the work that calls turn into.
WORK = Section("Calls and follow-up", 300)

ENTRIES: list[NavEntry] = [
    NavEntry(
        "Calls and intakes",
        "intake-home",
        IntakeCapability.WORK_INTAKES,
        WORK,
        10,
        also_active_on=("intake-start", "intake-work"),
    ),
    NavEntry(
        "Leads",
        "intake-leads",
        IntakeCapability.VIEW_INTAKES,
        WORK,
        20,
        also_active_on=("intake-lead",),
    ),
    NavEntry("Appointments", "intake-appointments", IntakeCapability.VIEW_INTAKES, WORK, 30),
    NavEntry(
        "Cases",
        "intake-cases",
        IntakeCapability.VIEW_INTAKES,
        WORK,
        40,
        also_active_on=("intake-case", "intake-case-create"),
    ),
    NavEntry(
        "QA review",
        "intake-qa",
        IntakeCapability.REVIEW_QUALITY,
        WORK,
        50,
        also_active_on=("intake-qa-scorecards", "intake-qa-review-intake", "intake-qa-review-case"),
    ),
    NavEntry("QA accuracy", "intake-qa-accuracy", IntakeCapability.VIEW_QUALITY, WORK, 55),
    NavEntry(
        "Scripts",
        "intake-scripts",
        IntakeCapability.MANAGE_SCRIPTS,
        WORK,
        60,
        also_active_on=(
            "intake-script",
            "intake-script-builder",
            "intake-script-field",
            "intake-script-json",
            "intake-script-preview",
            "intake-script-version",
        ),
    ),
    NavEntry("Escalation path", "intake-tiers", IntakeCapability.MANAGE_INTAKE_SETUP, WORK, 70),
    NavEntry(
        "Parties and matters",
        "intake-parties",
        IntakeCapability.MANAGE_INTAKE_SETUP,
        WORK,
        80,
        also_active_on=("intake-matters",),
    ),
    NavEntry(
        "Handoff recipients", "intake-recipients", IntakeCapability.MANAGE_INTAKE_SETUP, WORK, 90
    ),
    NavEntry("Handoffs", "intake-handoffs", IntakeCapability.MANAGE_INTAKE_SETUP, WORK, 95),
    NavEntry(
        "Health-answer reads",
        "intake-sensitive-reads",
        IntakeCapability.VIEW_SENSITIVE_READS,
        ADMINISTRATION,
        50,
    ),
]
