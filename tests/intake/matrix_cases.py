"""Intake routes in the authorization matrix: leads, appointments, cases and the escalation
path (see tests/test_authorization_matrix.py)."""

from __future__ import annotations

from collections.abc import Callable

from intake.models import EscalationTier, Lead
from intake.services import cases as case_services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.authorization import MANAGERS, Route
from tests.conftest import OrgWorld

# view_intakes: everyone who sees intakes; work_cases: those who move them along.
VIEWERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.AGENT, Role.QA})
WORKERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.AGENT})

LEAD = {"lead_id": "cases_lead"}
CASE = {"case_id": "cases_case"}
TIER = {"tier_id": "cases_tier"}

BROWSER: dict[str, Route] = {
    "intake-leads": Route({"GET": VIEWERS}),
    "intake-lead": Route({"GET": VIEWERS}, LEAD),
    "intake-lead-move": Route({"POST": WORKERS}, LEAD),
    "intake-lead-book": Route({"POST": WORKERS}, LEAD),
    "intake-appointments": Route({"GET": VIEWERS}),
    "intake-cases": Route({"GET": VIEWERS}),
    "intake-case-create": Route({"GET": WORKERS, "POST": WORKERS}),
    "intake-case": Route({"GET": VIEWERS}, CASE),
    "intake-case-assign": Route({"POST": WORKERS}, CASE),
    "intake-case-escalate": Route({"POST": WORKERS}, CASE),
    "intake-case-resolve": Route({"POST": WORKERS}, CASE),
    "intake-case-reopen": Route({"POST": WORKERS}, CASE),
    "intake-tiers": Route({"GET": MANAGERS, "POST": MANAGERS}),
    "intake-tier-add": Route({"POST": MANAGERS}),
    "intake-tier-delete": Route({"POST": MANAGERS}, TIER),
}
API: dict[str, Route] = {
    "api-intake-leads": Route({"GET": VIEWERS}),
    "api-intake-lead": Route({"GET": VIEWERS, "PATCH": WORKERS}, LEAD),
    "api-intake-lead-appointments": Route({"POST": WORKERS}, LEAD),
    "api-intake-appointments": Route({"GET": VIEWERS}),
    "api-intake-cases": Route({"GET": VIEWERS, "POST": WORKERS}),
    "api-intake-case": Route({"GET": VIEWERS}, CASE),
    "api-intake-case-escalate": Route({"POST": WORKERS}, CASE),
    "api-intake-case-resolve": Route({"POST": WORKERS}, CASE),
    "api-intake-case-reopen": Route({"POST": WORKERS}, CASE),
    "api-intake-case-assign": Route({"POST": WORKERS}, CASE),
}


def _lead(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        return Lead.objects.create(name="Matrix caller", phone="+12125550123").pk


def _case(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        return case_services.open_case(
            actor=world.tenant(), subject="Matrix complaint", category="complaint"
        ).pk


def _tier(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        tiers = case_services.ensure_escalation_path()
        return EscalationTier.objects.create(level=tiers[-1].level + 1, name="Matrix tier").pk


# Kind of object → a function that creates one in the world's organisation and returns its id.
OBJECT_MAKERS: dict[str, Callable[[OrgWorld], int]] = {
    "cases_lead": _lead,
    "cases_case": _case,
    "cases_tier": _tier,
}
