"""Intake routes in the authorization matrix: QA and the sensitive-read log (see
tests/test_authorization_matrix.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from intake.models import IntakeStatus, Scorecard
from intake.services import cases as case_services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.authorization import OWNER, Route
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake

# review_quality: QA reviewers and managers; view_quality adds leadership.
REVIEWERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.QA})
QUALITY_VIEWERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.QA, Role.LEADERSHIP})

BROWSER: dict[str, Route] = {
    "intake-qa": Route({"GET": REVIEWERS}),
    "intake-qa-scorecards": Route({"GET": REVIEWERS, "POST": REVIEWERS}),
    "intake-qa-scorecard-activate": Route(
        {"POST": REVIEWERS}, {"scorecard_id": "quality_scorecard"}
    ),
    "intake-qa-review-intake": Route(
        {"GET": REVIEWERS, "POST": REVIEWERS}, {"intake_id": "quality_completed_intake"}
    ),
    "intake-qa-review-case": Route(
        {"GET": REVIEWERS, "POST": REVIEWERS}, {"case_id": "quality_resolved_case"}
    ),
    "intake-qa-accuracy": Route({"GET": QUALITY_VIEWERS}),
    "intake-sensitive-reads": Route({"GET": OWNER}),
}
API: dict[str, Route] = {
    "api-intake-qa-scorecards": Route({"GET": REVIEWERS, "POST": REVIEWERS}),
    "api-intake-qa-reviews": Route({"POST": REVIEWERS}),
    "api-intake-qa-accuracy": Route({"GET": QUALITY_VIEWERS}),
}


def _scorecard(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        questions = [{"id": "q1", "text": "Greeted the caller", "weight": 10, "critical": False}]
        return Scorecard.objects.create(name="Matrix card", questions=questions).pk


def _completed_intake(world: OrgWorld) -> int:
    return draft_intake(world, status=IntakeStatus.COMPLETED, completed_at=timezone.now()).pk


def _resolved_case(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        case = case_services.open_case(
            actor=world.tenant(), subject="Matrix billing", category="billing"
        )
        return case_services.resolve(
            actor=world.tenant(), case=case, root_cause="Other", resolution="Explained."
        ).pk


# Kind of object → a function that creates one in the world's organisation and returns its id.
OBJECT_MAKERS: dict[str, Callable[[OrgWorld], int]] = {
    "quality_scorecard": _scorecard,
    "quality_completed_intake": _completed_intake,
    "quality_resolved_case": _resolved_case,
}
