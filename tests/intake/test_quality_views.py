"""QA pages and API, and the sensitive-read log: the queue, scoring from it (with the
answers the reviewer's role may see), the accuracy report, strict input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Intake, IntakeStatus, QAReview, SensitiveRead
from intake.services import answers as answer_services
from intake.services import cases as case_services
from intake.services import quality as services
from tenancy import services as tenancy_services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake, location

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"text": "Greeted the caller", "weight": 10, "critical": False},
    {"text": "Read the disclaimer", "weight": 30, "critical": True},
]


def _page(name: str, *args: Any) -> str:
    return reverse(name, args=["acme", *args])


def _client(world: OrgWorld, role: Role) -> Client:
    client = Client()
    client.force_login(world.user(role))
    return client


def _api(world: OrgWorld, role: Role) -> Client:
    with tenant_context(world.organization):
        _, raw = tenancy_services.api_key_create(actor=world.tenant(), name=f"{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _completed(world: OrgWorld, **fields: Any) -> Intake:
    if "location" not in fields:
        fields["location"] = location(world, name="Main Office")
    return draft_intake(
        world,
        status=IntakeStatus.COMPLETED,
        completed_at=timezone.now(),
        answers={"reason": "Slipped on ice", "injured": True},
        personal_answers=answer_services.encode({"full_name": "Dana Caller"}),
        health_answers=answer_services.encode({"injuries": "Broken wrist"}),
        **fields,
    )


def _card(world: OrgWorld) -> Any:
    with tenant_context(world.organization):
        return services.scorecard_create(actor=world.tenant(), name="Calls", questions=QUESTIONS)


def test_qa_scores_a_completed_intake_from_the_queue(org_a: OrgWorld):
    # Catches health answers shown to QA, and the same call scored twice.
    _card(org_a)
    intake = _completed(org_a)
    qa = _client(org_a, Role.QA)
    queue = qa.get(_page("intake-qa")).content.decode()
    review_url = _page("intake-qa-review-intake", intake.pk)
    assert review_url in queue
    page = qa.get(review_url).content.decode()
    assert "Slipped on ice" in page and "Dana Caller" in page
    assert "Broken wrist" not in page and answer_services.HIDDEN in page
    with tenant_context(org_a.organization):
        assert SensitiveRead.objects.count() == 0
    response = qa.post(review_url, {"q_q1": "pass"})
    assert response.status_code == 400
    assert "Mark this question passed or failed." in response.content.decode()
    response = qa.post(review_url, {"q_q1": "pass", "q_q2": "fail", "comment": "No disclaimer"})
    assert response.status_code == 302 and response["Location"] == _page("intake-qa")
    with tenant_context(org_a.organization):
        review = QAReview.objects.get()
        assert (review.score, review.critical_failed) == (0, True)
    assert review_url not in qa.get(_page("intake-qa")).content.decode()
    again = qa.post(review_url, {"q_q1": "pass", "q_q2": "pass"})
    assert again.status_code == 400
    assert services.ALREADY_REVIEWED_INTAKE in again.content.decode()


def test_a_supervisor_reviewing_reads_health_answers_and_is_logged(org_a: OrgWorld):
    _card(org_a)
    intake = _completed(org_a)
    page = _client(org_a, Role.SUPERVISOR).get(_page("intake-qa-review-intake", intake.pk))
    assert "Broken wrist" in page.content.decode()
    with tenant_context(org_a.organization):
        read = SensitiveRead.objects.get()
        assert read.reader == org_a.members[Role.SUPERVISOR]
    log = _client(org_a, Role.OWNER).get(_page("intake-sensitive-reads")).content.decode()
    assert org_a.user(Role.SUPERVISOR).email in log
    assert "Injuries" in log  # the field's label, never its answer
    assert "Broken wrist" not in log


def test_a_draft_intake_is_not_in_the_queue_nor_reviewable(org_a: OrgWorld):
    _card(org_a)
    draft = draft_intake(org_a)
    qa = _client(org_a, Role.QA)
    assert qa.get(_page("intake-qa-review-intake", draft.pk)).status_code == 404


def test_scorecard_form_shows_errors_by_row_and_saves(org_a: OrgWorld):
    client = _client(org_a, Role.QA)
    url = _page("intake-qa-scorecards")
    response = client.post(
        url,
        {"rows": "5", "name": "Calls", "q-0-text": "Greeted", "q-0-weight": "500", "q-2-text": ""},
    )
    assert response.status_code == 400
    assert "Give a whole-number weight from 1 to 100." in response.content.decode()
    response = client.post(
        url,
        {
            "rows": "5",
            "name": "Calls",
            "q-0-text": "Greeted",
            "q-0-weight": "10",
            "q-3-text": "Disclaimer",
            "q-3-weight": "40",
            "q-3-critical": "1",
        },
    )
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        card = services.active_scorecard()
        assert card is not None
        assert card.questions == [
            {"id": "q1", "text": "Greeted", "weight": 10, "critical": False},
            {"id": "q2", "text": "Disclaimer", "weight": 40, "critical": True},
        ]


def test_accuracy_by_agent_script_and_location_over_the_period(org_a: OrgWorld):
    card = _card(org_a)
    place = location(org_a, name="Main Office")
    now = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=20), tick=False):
        old = _completed(org_a, location=place)
        with tenant_context(org_a.organization):
            services.review_create(
                actor=org_a.tenant(), scorecard=card, intake=old, answers={"q1": True, "q2": True}
            )
    with time_machine.travel(now, tick=False):
        recent = _completed(org_a, location=place)
        with tenant_context(org_a.organization):
            services.review_create(
                actor=org_a.tenant(),
                scorecard=card,
                intake=recent,
                answers={"q1": False, "q2": True},
            )
        client = _client(org_a, Role.LEADERSHIP)
        week = client.get(_page("intake-qa-accuracy"), {"days": "7"})
        assert week.status_code == 200
        assert week.context["report"].reviewed == 1
        assert str(week.context["report"].average) == "75.0"
        month = client.get(_page("intake-qa-accuracy"), {"days": "30"}).context["report"]
        assert (month.reviewed, str(month.average)) == (2, "87.5")
        agent_email = org_a.user(Role.AGENT).email
        assert [(r.label, r.reviewed) for r in month.by_agent] == [(agent_email, 2)]
        assert [r.label for r in month.by_location] == ["Main Office"]
        assert client.get(_page("intake-qa-accuracy"), {"days": "8"}).status_code == 400
        api = _api(org_a, Role.LEADERSHIP)
        body = api.get("/api/v1/intake/qa/accuracy/", {"days": "7"}).json()
        assert (body["reviewed"], body["average"], body["time_zone"]) == (
            1,
            "75.0",
            "America/New_York",
        )
        assert api.get("/api/v1/intake/qa/accuracy/", {"days": "8"}).status_code == 400


def test_sensitive_read_log_filters_by_member(org_a: OrgWorld):
    intake = _completed(org_a)
    with tenant_context(org_a.organization):
        for role in (Role.AGENT, Role.SUPERVISOR):
            answer_services.read_answers(actor=org_a.tenant(role), intake=intake, via="page")
    owner = _client(org_a, Role.OWNER)
    agent = org_a.members[Role.AGENT]
    body = owner.get(_page("intake-sensitive-reads"), {"member": agent.pk}).content.decode()
    assert org_a.user(Role.AGENT).email in body
    assert org_a.user(Role.SUPERVISOR).email not in body.split("<table")[1]
    assert owner.get(_page("intake-sensitive-reads"), {"member": "abc"}).status_code == 400


def test_api_scorecards_and_reviews_are_strict(org_a: OrgWorld, org_b: OrgWorld):
    api = _api(org_a, Role.QA)
    bad = api.post(
        "/api/v1/intake/qa/scorecards/",
        {"name": "Calls", "questions": [{"text": "Greeted", "weight": "10"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "questions.0.weight" in bad.json()["error"]["fields"]
    made = api.post(
        "/api/v1/intake/qa/scorecards/",
        {"name": "Calls", "questions": QUESTIONS},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["is_active"] is True
    intake = _completed(org_a)
    foreign = _completed(org_b)
    url = "/api/v1/intake/qa/reviews/"
    answers = {"q1": True, "q2": True}
    response = api.post(
        url, {"intake_id": foreign.pk, "answers": answers}, content_type="application/json"
    )
    assert response.json()["error"]["fields"] == {"intake_id": ["No such intake."]}
    response = api.post(
        url, {"intake_id": intake.pk, "answers": {"q1": "yes"}}, content_type="application/json"
    )
    assert response.status_code == 400
    response = api.post(
        url, {"intake_id": intake.pk, "answers": answers}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["score"] == "100.00"
    response = api.post(
        url, {"intake_id": intake.pk, "answers": answers}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["non_field_errors"] == [
        services.ALREADY_REVIEWED_INTAKE
    ]


def test_qa_reviews_a_resolved_case(org_a: OrgWorld):
    _card(org_a)
    with tenant_context(org_a.organization):
        case = case_services.open_case(actor=None, subject="Rude reply", category="complaint")
        case_services.assign(actor=org_a.tenant(), case=case, owner=org_a.members[Role.AGENT])
        case = case_services.resolve(
            actor=org_a.tenant(), case=case, root_cause="Communication", resolution="Apologised"
        )
    qa = _client(org_a, Role.QA)
    url = _page("intake-qa-review-case", case.pk)
    assert url in qa.get(_page("intake-qa")).content.decode()
    assert "Apologised" in qa.get(url).content.decode()
    assert qa.post(url, {"q_q1": "pass", "q_q2": "pass"}).status_code == 302
    with tenant_context(org_a.organization):
        review = QAReview.objects.get()
        assert (review.case_id, review.agent, str(review.score)) == (
            case.pk,
            org_a.members[Role.AGENT],
            "100.00",
        )
    assert url not in qa.get(_page("intake-qa")).content.decode()


def test_sensitive_read_log_is_paginated_newest_first(org_a: OrgWorld):
    intake = _completed(org_a)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with tenant_context(org_a.organization):
        for n in range(51):
            with time_machine.travel(start + timedelta(minutes=n), tick=False):
                answer_services.log_health_read(
                    actor=org_a.tenant(Role.AGENT),
                    intake=intake,
                    field_ids=["injuries"],
                    via="page",
                )
    owner = _client(org_a, Role.OWNER)
    first = owner.get(_page("intake-sensitive-reads"))
    rows = first.context["rows"]
    assert len(rows) == 50
    assert rows[0]["when"] == "1 Mar 2026, 07:50 EST"  # the newest, in the organisation's zone
    second = owner.get(_page("intake-sensitive-reads"), {"page": "2"}).context["rows"]
    assert [row["when"] for row in second] == ["1 Mar 2026, 07:00 EST"]
