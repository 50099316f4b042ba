"""QA: scorecards' questions, the score's arithmetic, one review per subject."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from intake.models import IntakeStatus, QAReview, Scorecard
from intake.services import cases as case_services
from intake.services import quality as services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"text": "Greeted the caller", "weight": 10, "critical": False},
    {"text": "Read the disclaimer", "weight": 30, "critical": True},
    {"text": "Confirmed the number", "weight": 20, "critical": False},
]


def _card(world: OrgWorld) -> Scorecard:
    with tenant_context(world.organization):
        return services.scorecard_create(actor=world.tenant(), name="Calls", questions=QUESTIONS)


def test_score_is_passed_weight_over_total_weight():
    questions = services.clean_questions(QUESTIONS)
    assert services.score(questions, {"q1": True, "q2": True, "q3": False}) == (
        Decimal("66.67"),
        False,
    )
    assert services.score(questions, {"q1": True, "q2": True, "q3": True}) == (
        Decimal("100.00"),
        False,
    )


def test_a_failed_critical_question_scores_zero():
    # Catches a call that skipped the disclaimer still scoring 50.
    questions = services.clean_questions(QUESTIONS)
    assert services.score(questions, {"q1": True, "q2": False, "q3": True}) == (
        Decimal("0.00"),
        True,
    )


def test_questions_are_checked_at_the_edge(org_a: OrgWorld):
    with tenant_context(org_a.organization):
        with pytest.raises(ValidationError) as refused:
            services.scorecard_create(
                actor=org_a.tenant(),
                name="Bad",
                questions=[
                    {"text": "", "weight": 10},
                    {"text": "Heavy", "weight": 101},
                    {"text": "Stringly", "weight": "5"},
                    {"text": "Critical?", "weight": 5, "critical": "yes"},
                ],
            )
        assert set(refused.value.message_dict) == {
            "questions.0.text",
            "questions.1.weight",
            "questions.2.weight",
            "questions.3.critical",
        }
        too_many = [{"text": f"Q{n}", "weight": 1} for n in range(51)]
        with pytest.raises(ValidationError) as refused:
            services.scorecard_create(actor=org_a.tenant(), name="Long", questions=too_many)
        assert "50" in refused.value.message_dict["questions"][0]
        assert Scorecard.objects.count() == 0


def test_the_first_scorecard_is_active_and_activation_moves(org_a: OrgWorld):
    first = _card(org_a)
    assert first.is_active
    with tenant_context(org_a.organization):
        second = services.scorecard_create(
            actor=org_a.tenant(), name="Billing", questions=QUESTIONS[:1]
        )
        assert not second.is_active
        services.scorecard_activate(actor=org_a.tenant(), scorecard=second)
        assert services.active_scorecard() == second
        assert list(Scorecard.objects.filter(is_active=True)) == [second]


def test_one_review_per_scorecard_per_intake(org_a: OrgWorld):
    # Catches the same call scored twice (it would count twice in the accuracy report).
    card = _card(org_a)
    intake = draft_intake(org_a, status=IntakeStatus.COMPLETED, completed_at=timezone.now())
    answers = {"q1": True, "q2": True, "q3": False}
    with tenant_context(org_a.organization):
        review = services.review_create(
            actor=org_a.tenant(Role.QA), scorecard=card, intake=intake, answers=answers
        )
        assert review.score == Decimal("66.67")
        assert review.agent == org_a.members[Role.AGENT]
        assert review.reviewer == org_a.members[Role.QA]
        assert review.script_id == intake.script_version.script_id
        with pytest.raises(ValidationError) as refused:
            services.review_create(
                actor=org_a.tenant(Role.QA), scorecard=card, intake=intake, answers=answers
            )
        assert refused.value.messages == [services.ALREADY_REVIEWED_INTAKE]
        assert QAReview.objects.count() == 1


def test_every_question_must_be_marked_and_only_finished_work_reviewed(org_a: OrgWorld):
    card = _card(org_a)
    draft = draft_intake(org_a)
    with tenant_context(org_a.organization):
        with pytest.raises(ValidationError) as refused:
            services.review_create(
                actor=org_a.tenant(), scorecard=card, intake=draft, answers={"q1": True, "q9": 1}
            )
        problems = refused.value.message_dict
        assert {"intake", "answers.q2", "answers.q3", "answers.q9"} <= set(problems)
        case = case_services.open_case(actor=None, subject="Late", category="complaint")
        with pytest.raises(ValidationError) as refused:
            services.review_create(
                actor=org_a.tenant(),
                scorecard=card,
                case=case,
                answers={"q1": True, "q2": True, "q3": True},
            )
        assert "case" in refused.value.message_dict
        case = case_services.resolve(
            actor=org_a.tenant(), case=case, root_cause="Other", resolution="Ok"
        )
        review = services.review_create(
            actor=org_a.tenant(),
            scorecard=card,
            case=case,
            answers={"q1": True, "q2": False, "q3": True},
        )
        assert (review.score, review.critical_failed) == (Decimal("0.00"), True)
