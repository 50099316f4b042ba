"""QA: scorecards (weighted pass/fail questions, some critical) and reviews of completed
intakes and resolved cases.

A review's score is the weight of the questions passed over the total weight, as a
percentage with two decimals; a failed critical question makes it 0 whatever else passed.
One review per scorecard per intake or case (a database constraint; a second attempt gets
a message, not an error page).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from intake.models import Case, CaseStatus, Intake, IntakeStatus, QAReview, Scorecard
from tenancy.audit import audited
from tenancy.resolution import Tenant

MAX_QUESTIONS = 50
QUESTION_TEXT_LIMIT = 300
WEIGHT_MIN = 1
WEIGHT_MAX = 100
NAME_LIMIT = 120
COMMENT_LIMIT = 2000

ALREADY_REVIEWED_INTAKE = "This intake was already reviewed with this scorecard."
ALREADY_REVIEWED_CASE = "This case was already reviewed with this scorecard."


def clean_questions(questions: Any) -> list[dict[str, Any]]:
    """``[{"text", "weight", "critical"}, …]`` checked and numbered (ids ``q1``, ``q2``…);
    errors are keyed ``questions.<n>.<field>`` (n from 0)."""
    if not isinstance(questions, list) or not questions:
        raise ValidationError({"questions": ["Add at least one question."]})
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError(
            {"questions": [f"A scorecard has at most {MAX_QUESTIONS} questions."]}
        )
    errors: dict[str, list[str]] = {}
    cleaned: list[dict[str, Any]] = []
    for n, question in enumerate(questions):
        where = f"questions.{n}"
        if not isinstance(question, dict):
            errors[where] = ["Each question needs its text, weight and whether it is critical."]
            continue
        text = question.get("text")
        weight = question.get("weight")
        critical = question.get("critical", False)
        if not isinstance(text, str) or not text.strip():
            errors[f"{where}.text"] = ["Write the question."]
        elif len(text.strip()) > QUESTION_TEXT_LIMIT:
            errors[f"{where}.text"] = [f"Keep the question under {QUESTION_TEXT_LIMIT} characters."]
        if type(weight) is not int or not WEIGHT_MIN <= weight <= WEIGHT_MAX:
            errors[f"{where}.weight"] = [
                f"Give a whole-number weight from {WEIGHT_MIN} to {WEIGHT_MAX}."
            ]
        if not isinstance(critical, bool):
            errors[f"{where}.critical"] = ["Say yes or no."]
        if not any(key.startswith(where) for key in errors):
            cleaned.append(
                {
                    "id": f"q{n + 1}",
                    "text": str(text).strip(),
                    "weight": weight,
                    "critical": critical,
                }
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def scorecard_create(*, actor: Tenant, name: str, questions: Any) -> Scorecard:
    """A new scorecard; it becomes the active one when the organisation has none active."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Name the scorecard."]
    elif len(name) > NAME_LIMIT:
        errors["name"] = [f"Keep the name under {NAME_LIMIT} characters."]
    elif Scorecard.objects.filter(name__iexact=name).exists():
        errors["name"] = ["A scorecard of that name exists: choose another name."]
    try:
        cleaned = clean_questions(questions)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), audited(actor):
        active = Scorecard.objects.select_for_update().filter(is_active=True).exists()
        try:
            with transaction.atomic():
                return Scorecard.objects.create(name=name, questions=cleaned, is_active=not active)
        except IntegrityError:
            raise ValidationError(
                {"name": ["A scorecard of that name exists: choose another name."]}
            ) from None


def scorecard_activate(*, actor: Tenant, scorecard: Scorecard) -> Scorecard:
    """Make ``scorecard`` the one the review queue uses (the others become inactive)."""
    with transaction.atomic(), audited(actor):
        Scorecard.objects.select_for_update().exclude(pk=scorecard.pk).filter(
            is_active=True
        ).update(is_active=False)
        Scorecard.objects.filter(pk=scorecard.pk).update(is_active=True)
    scorecard.is_active = True
    return scorecard


def active_scorecard() -> Scorecard | None:
    return Scorecard.objects.filter(is_active=True).order_by("-created_at").first()


def score(questions: list[dict[str, Any]], passed: dict[str, bool]) -> tuple[Decimal, bool]:
    """(score 0–100 with two decimals, whether a critical question failed)."""
    total = sum(int(q["weight"]) for q in questions)
    gained = sum(int(q["weight"]) for q in questions if passed.get(q["id"]) is True)
    critical_failed = any(q["critical"] and passed.get(q["id"]) is not True for q in questions)
    if critical_failed or total == 0:
        return Decimal("0.00"), critical_failed
    value = (Decimal(gained) * 100 / Decimal(total)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return value, False


def review_create(
    *,
    actor: Tenant,
    scorecard: Scorecard,
    answers: Any,
    intake: Intake | None = None,
    case: Case | None = None,
    comment: str = "",
) -> QAReview:
    """Score a completed ``intake`` or a resolved ``case`` (exactly one) against
    ``scorecard``: ``answers`` maps every question id to ``True`` (passed) or ``False``.
    The review is attributed to the intake's agent (the case's owner)."""
    errors: dict[str, list[str]] = {}
    if (intake is None) == (case is None):
        raise ValidationError({"__all__": ["Review one intake or one case."]})
    if intake is not None and intake.status != IntakeStatus.COMPLETED:
        errors["intake"] = ["Only a completed intake can be reviewed."]
    if case is not None and case.status != CaseStatus.RESOLVED:
        errors["case"] = ["Only a resolved case can be reviewed."]
    questions: list[dict[str, Any]] = list(scorecard.questions)
    ids = [q["id"] for q in questions]
    if not isinstance(answers, dict):
        errors["answers"] = ["Mark each question passed or failed."]
    else:
        for key in answers:
            if key not in ids:
                errors[f"answers.{key}"] = ["This scorecard has no such question."]
        for qid in ids:
            if not isinstance(answers.get(qid), bool):
                errors[f"answers.{qid}"] = ["Mark this question passed or failed."]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        errors["comment"] = [f"Keep the comment under {COMMENT_LIMIT} characters."]
    if errors:
        raise ValidationError(errors)
    value, critical_failed = score(questions, answers)
    subject: dict[str, Any]
    if intake is not None:
        subject = {
            "intake": intake,
            "agent_id": intake.agent_id,
            "script_id": intake.script_version.script_id,
            "location_id": intake.location_id,
        }
        already = ALREADY_REVIEWED_INTAKE
    else:
        assert case is not None
        subject = {"case": case, "agent_id": case.owner_id, "location_id": case.location_id}
        if case.intake_id is not None:
            subject["script_id"] = (
                Intake.objects.filter(pk=case.intake_id)
                .values_list("script_version__script_id", flat=True)
                .first()
            )
        already = ALREADY_REVIEWED_CASE
    if QAReview.objects.filter(
        scorecard=scorecard, **{k: v for k, v in subject.items() if k in ("intake", "case")}
    ).exists():
        raise ValidationError({"__all__": [already]})
    try:
        with transaction.atomic():
            return QAReview.objects.create(
                scorecard=scorecard,
                reviewer=actor.membership,
                answers={qid: answers[qid] for qid in ids},
                score=value,
                critical_failed=critical_failed,
                comment=comment,
                **subject,
            )
    except IntegrityError:
        # Another reviewer saved the same review a moment ago (the constraint's answer).
        raise ValidationError({"__all__": [already]}) from None
