"""Cases and QA in a real browser: a supervisor escalates a case, resolves it (with the
confirmation step) and reopens it; a QA reviewer scores a completed intake from the queue.
Each test names the regression it catches."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from intake.models import Case, CaseEventKind, CaseStatus, IntakeStatus, QAReview
from intake.services import answers as answer_services
from intake.services import cases as case_services
from intake.services import leads as lead_services
from intake.services import quality as quality_services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.e2e.conftest import sign_in
from tests.intake.worlds import draft_intake, location

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Set to a directory to also save each page at desktop and phone widths.
SHOTS = os.environ.get("INTAKE_CASES_SHOTS", "")


def _shoot(page: Any, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 820})


def test_a_case_is_escalated_resolved_and_reopened(page: Any, org_a: OrgWorld) -> None:
    # Catches an action that loses its reason, a resolve without the confirmation step, and
    # a history that does not say who did what.
    place = location(org_a, name="Main Office")
    with tenant_context(org_a.organization):
        case = case_services.open_case(
            actor=org_a.tenant(Role.AGENT),
            subject="Charged twice for March",
            category="billing",
            priority="high",
            location=place,
            contact_name="Dana Caller",
            contact_phone="+12125550199",
        )
    sign_in(page, "supervisor@acme.test")
    page.goto("/o/acme/intake/cases/")
    _shoot(page, "cases")
    page.get_by_role("link", name="Charged twice for March").click()
    expect(page.locator("#case-tier")).to_contain_text("Frontline")
    _shoot(page, "case")

    page.locator("summary", has_text="Escalate").click()
    page.get_by_label("Reason").first.fill("The bill needs adjusting")
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_text("Escalated to Specialist.")).to_be_visible()
    expect(page.locator("#case-tier")).to_contain_text("Specialist")
    history = page.locator("#case-history")
    expect(history).to_contain_text("Frontline → Specialist")
    expect(history).to_contain_text("The bill needs adjusting")
    expect(history).to_contain_text("by supervisor@acme.test")

    page.locator("summary", has_text="Resolve").click()
    page.get_by_label("Root cause").select_option("Billing error")
    page.get_by_label("What was done").fill("Refunded the second charge")
    page.get_by_role("button", name="Resolve…").click()
    expect(page.get_by_role("heading", name="Resolve this case?")).to_be_visible()
    _shoot(page, "case-resolve-confirm")
    page.get_by_role("button", name="Yes, resolve the case").click()
    expect(page.locator("#case-status")).to_have_text("Resolved")

    page.get_by_label("Reason").fill("Charged a third time")
    page.get_by_role("button", name="Reopen case").click()
    expect(page.locator("#case-status")).to_have_text("Reopened")
    expect(history).to_contain_text("Charged a third time")
    _shoot(page, "case-reopened")
    with tenant_context(org_a.organization):
        stored = Case.objects.get(pk=case.pk)
        assert (stored.status, stored.reopened_count) == (CaseStatus.REOPENED, 1)
        kinds = list(stored.events.values_list("kind", flat=True))
        assert kinds == [
            CaseEventKind.OPENED,
            CaseEventKind.ESCALATED,
            CaseEventKind.RESOLVED,
            CaseEventKind.REOPENED,
        ]


def test_qa_scores_a_completed_intake_from_the_queue(page: Any, org_a: OrgWorld) -> None:
    # Catches a queue that does not lead to the review, a score computed wrongly, and a
    # reviewed intake left in the queue.
    place = location(org_a, name="Main Office")
    intake = draft_intake(
        org_a,
        status=IntakeStatus.COMPLETED,
        completed_at=timezone.now(),
        location=place,
        answers={"reason": "Slipped on ice at the store", "injured": True},
        personal_answers=answer_services.encode({"full_name": "Dana Caller"}),
        health_answers=answer_services.encode({"injuries": "Broken wrist"}),
    )
    with tenant_context(org_a.organization):
        quality_services.scorecard_create(
            actor=org_a.tenant(),
            name="Intake calls",
            questions=[
                {"text": "Greeted the caller by name", "weight": 20, "critical": False},
                {"text": "Read the disclaimer", "weight": 50, "critical": True},
                {"text": "Confirmed the call-back number", "weight": 30, "critical": False},
            ],
        )
    sign_in(page, "qa@acme.test")
    page.goto("/o/acme/intake/qa/")
    _shoot(page, "qa-queue")
    page.locator("#qa-queue").get_by_role("link", name="Review").click()
    expect(page.locator("#review-answers")).to_contain_text("Slipped on ice at the store")
    expect(page.locator("#review-answers")).to_contain_text("Hidden for your role")
    expect(page.locator("#review-answers")).not_to_contain_text("Broken wrist")
    _shoot(page, "qa-review")
    form = page.locator("#review-form")
    form.get_by_role("group", name="Greeted the caller by name").get_by_label("Fail").check()
    form.get_by_role("group", name="Read the disclaimer").get_by_label("Pass").check()
    form.get_by_role("group", name="Confirmed the call-back number").get_by_label("Pass").check()
    form.get_by_label("Comment").fill("Forgot to use the caller's name")
    form.get_by_role("button", name="Save review").click()
    expect(page.get_by_text("Review saved: score 80.00.")).to_be_visible()
    expect(page.get_by_text("Nothing waiting")).to_be_visible()
    with tenant_context(org_a.organization):
        review = QAReview.objects.get()
        assert (review.intake_id, str(review.score)) == (intake.pk, "80.00")
        assert review.reviewer == org_a.members[Role.QA]


@pytest.mark.skipif(not SHOTS, reason="screenshots only: set INTAKE_CASES_SHOTS")
def test_pages_at_desktop_and_phone_widths(page: Any, org_a: OrgWorld) -> None:
    place = location(org_a, name="Main Office")
    intake = draft_intake(
        org_a,
        status=IntakeStatus.COMPLETED,
        completed_at=timezone.now(),
        location=place,
        caller_name="Dana Caller",
        caller_phone="+12125550199",
        next_step="Call back to book a consultation",
        answers={"reason": "Slipped"},
        health_answers=answer_services.encode({"injuries": "Broken wrist"}),
    )
    with tenant_context(org_a.organization):
        lead = lead_services.lead_from_intake(actor=org_a.tenant(), intake=intake)
        card = quality_services.scorecard_create(
            actor=org_a.tenant(),
            name="Intake calls",
            questions=[{"text": "Greeted the caller", "weight": 20, "critical": False}],
        )
        quality_services.review_create(
            actor=org_a.tenant(), scorecard=card, intake=intake, answers={"q1": True}
        )
        answer_services.read_answers(actor=org_a.tenant(Role.AGENT), intake=intake, via="page")
    sign_in(page, "owner@acme.test")
    for name, url in (
        ("leads", "/o/acme/intake/leads/"),
        ("lead", f"/o/acme/intake/leads/{lead.pk}/"),
        ("appointments", "/o/acme/intake/appointments/"),
        ("case-new", "/o/acme/intake/cases/new/"),
        ("tiers", "/o/acme/intake/escalation-path/"),
        ("qa-scorecards", "/o/acme/intake/qa/scorecards/"),
        ("qa-accuracy", "/o/acme/intake/qa/accuracy/"),
        ("sensitive-reads", "/o/acme/intake/sensitive-reads/"),
    ):
        page.goto(url)
        _shoot(page, name)
    page.goto(f"/o/acme/intake/leads/{lead.pk}/")
    page.get_by_label("Date and time").fill("2020-01-01T10:00")
    page.get_by_role("button", name="Book appointment").click()
    _shoot(page, "lead-book-error")
    page.goto("/o/acme/intake/escalation-path/")
    page.get_by_role("button", name="Set up the default path").click()
    _shoot(page, "tiers-set")
