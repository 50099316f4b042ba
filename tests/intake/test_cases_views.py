"""Leads, appointments, cases and the escalation path through the browser pages and the
API: post/redirect/get, per-field errors, nothing written on bad input, 404 for another
organisation's records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from intake.models import (
    Appointment,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    EscalationTier,
    IntakeStatus,
    Lead,
    LeadStatus,
)
from intake.services import cases as case_services
from intake.services import leads as lead_services
from tenancy import services as tenancy_services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake, location

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York


def _page(name: str, *args: Any) -> str:
    return reverse(name, args=["acme", *args])


def _client(world: OrgWorld, role: Role = Role.AGENT) -> Client:
    client = Client()
    client.force_login(world.user(role))
    return client


def _api(world: OrgWorld, role: Role = Role.AGENT) -> Client:
    with tenant_context(world.organization):
        _, raw = tenancy_services.api_key_create(actor=world.tenant(), name=f"{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _lead(world: OrgWorld) -> Lead:
    place = location(world, name="Main Office")
    intake = draft_intake(
        world,
        status=IntakeStatus.COMPLETED,
        caller_name="Dana Caller",
        caller_phone="+12125550199",
        location=place,
    )
    with tenant_context(world.organization):
        return lead_services.lead_from_intake(actor=world.tenant(), intake=intake)


def _case(world: OrgWorld, **fields: Any) -> Case:
    fields.setdefault("subject", "Charged twice")
    fields.setdefault("category", "billing")
    with tenant_context(world.organization):
        return case_services.open_case(actor=world.tenant(), **fields)


# Leads and appointments --------------------------------------------------------------------


def test_leads_list_shows_status_in_words_and_filters(org_a: OrgWorld):
    lead = _lead(org_a)
    client = _client(org_a, Role.QA)
    response = client.get(_page("intake-leads"))
    assert response.status_code == 200
    assert "Dana Caller" in response.content.decode()
    assert '<span class="badge badge-info">New</span>' in response.content.decode()
    response = client.get(_page("intake-leads"), {"status": "lost"})
    assert "Dana Caller" not in response.content.decode()
    response = client.get(_page("intake-leads"), {"status": "bogus"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert client.get(_page("intake-lead", lead.pk)).status_code == 200


def test_lead_move_redirects_and_lost_without_reason_is_shown_again(org_a: OrgWorld):
    lead = _lead(org_a)
    client = _client(org_a)
    response = client.post(_page("intake-lead-move", lead.pk), {"status": "lost"})
    assert response.status_code == 400
    assert "Say why the lead was lost." in response.content.decode()
    response = client.post(_page("intake-lead-move", lead.pk), {"status": "qualified"})
    assert response.status_code == 400
    assert "can move to" in response.content.decode()
    response = client.post(_page("intake-lead-move", lead.pk), {"status": "contacted"})
    assert response.status_code == 302
    assert response["Location"] == _page("intake-lead", lead.pk)
    with tenant_context(org_a.organization):
        assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED


def test_booking_reads_the_location_clock_and_refuses_the_past(org_a: OrgWorld):
    lead = _lead(org_a)
    client = _client(org_a)
    with time_machine.travel(NOW, tick=False):
        url = _page("intake-lead-book", lead.pk)
        past = {
            "starts_at": "2026-03-10T10:30",
            "location": lead.location_id,
            "duration_minutes": 30,
        }
        response = client.post(url, past)
        assert response.status_code == 400
        assert "That time has passed" in response.content.decode()
        bad = {**past, "starts_at": "tomorrow at ten"}
        assert client.post(url, bad).status_code == 400
        response = client.post(url, {**past, "starts_at": "2026-03-11T10:30"}, follow=True)
        body = response.content.decode()
        assert "Appointment booked for 11 Mar 2026, 10:30 EDT (America/New_York)" in body
        listed = client.get(_page("intake-appointments")).content.decode()
        assert "11 Mar 2026, 10:30 EDT" in listed
        assert "times in America/New_York" in listed
    with tenant_context(org_a.organization):
        appointment = Appointment.objects.get()
        assert appointment.starts_at == datetime(2026, 3, 11, 14, 30, tzinfo=UTC)


def test_another_organisations_lead_and_case_are_not_found(org_a: OrgWorld, org_b: OrgWorld):
    foreign_lead = _lead(org_b)
    foreign_case = _case(org_b)
    client = _client(org_a)
    assert client.get(_page("intake-lead", foreign_lead.pk)).status_code == 404
    assert client.get(_page("intake-case", foreign_case.pk)).status_code == 404
    response = client.post(_page("intake-case-escalate", foreign_case.pk), {"escalate-reason": "x"})
    assert response.status_code == 404
    api = _api(org_a)
    assert api.get(f"/api/v1/intake/cases/{foreign_case.pk}/").status_code == 404
    assert api.get(f"/api/v1/intake/leads/{foreign_lead.pk}/").status_code == 404
    with tenant_context(org_b.organization):
        assert Case.objects.get(pk=foreign_case.pk).tier.level == 1


# Cases -------------------------------------------------------------------------------------


def test_escalate_then_the_history_names_who_why_and_when(org_a: OrgWorld):
    case = _case(org_a, priority="high")
    client = _client(org_a, Role.SUPERVISOR)
    url = _page("intake-case-escalate", case.pk)
    response = client.post(url, {"escalate-reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    with time_machine.travel(NOW, tick=False):
        response = client.post(url, {"escalate-reason": "Bill needs adjusting"})
    assert response.status_code == 302
    body = client.get(_page("intake-case", case.pk)).content.decode()
    assert "Frontline → Specialist" in body
    assert "Bill needs adjusting" in body
    assert f"10 Mar 2026, 11:00 EDT · by {org_a.user(Role.SUPERVISOR).email}" in body
    client.post(url, {"escalate-reason": "Refund"})
    response = client.post(url, {"escalate-reason": "Higher still"})
    assert response.status_code == 400
    assert "last tier of the escalation path" in response.content.decode()


def test_resolve_asks_for_confirmation_then_resolves(org_a: OrgWorld):
    case = _case(org_a)
    client = _client(org_a)
    url = _page("intake-case-resolve", case.pk)
    response = client.post(url, {"root_cause": "", "resolution": "Refunded"})
    assert response.status_code == 400
    response = client.post(url, {"root_cause": "Billing error", "resolution": "Refunded"})
    assert response.status_code == 200
    assert "Resolve this case?" in response.content.decode()
    with tenant_context(org_a.organization):
        assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN
    response = client.post(
        url, {"root_cause": "Billing error", "resolution": "Refunded", "confirm": "yes"}
    )
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        done = Case.objects.get(pk=case.pk)
        assert (done.status, done.root_cause) == (CaseStatus.RESOLVED, "Billing error")
    response = client.post(_page("intake-case-reopen", case.pk), {"reopen-reason": "Still wrong"})
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        assert Case.objects.get(pk=case.pk).status == CaseStatus.REOPENED


def test_cases_list_views_and_words(org_a: OrgWorld):
    with time_machine.travel(NOW - timedelta(days=5)):
        old = _case(
            org_a, subject="Old complaint", category="complaint", contact_phone="+12125550101"
        )
    with time_machine.travel(NOW):
        _case(org_a, subject="Fresh question", category="question", contact_phone="+12125550102")
        client = _client(org_a, Role.QA)
        body = client.get(_page("intake-cases"), {"view": "overdue"}).content.decode()
        assert "Old complaint" in body and "Fresh question" not in body
        assert "Overdue" in body and "Normal" in body
        assert client.get(_page("intake-cases"), {"view": "nonsense"}).status_code == 400
        with tenant_context(org_a.organization):
            case_services.assign(actor=org_a.tenant(), case=old, owner=org_a.members[Role.AGENT])
        mine = _client(org_a).get(_page("intake-cases"), {"view": "mine"}).content.decode()
        assert "Old complaint" in mine and "Fresh question" not in mine


def test_assign_refuses_a_member_who_does_not_work_cases(org_a: OrgWorld):
    case = _case(org_a)
    client = _client(org_a)
    qa = org_a.members[Role.QA]
    response = client.post(_page("intake-case-assign", case.pk), {"owner": qa.pk})
    assert response.status_code == 400
    agent = org_a.members[Role.AGENT]
    assert client.post(_page("intake-case-assign", case.pk), {"owner": agent.pk}).status_code == 302


def test_escalation_path_page_renames_adds_and_removes(org_a: OrgWorld):
    client = _client(org_a, Role.SUPERVISOR)
    url = _page("intake-tiers")
    assert "Set up the default path" in client.get(url).content.decode()
    assert client.post(url, {"action": "default"}).status_code == 302
    with tenant_context(org_a.organization):
        tiers = list(EscalationTier.objects.order_by("level"))
    first = tiers[0]
    response = client.post(url, {f"tier-{first.pk}-name": "", f"tier-{first.pk}-may_decide": ""})
    assert response.status_code == 400
    assert "Name the tier." in response.content.decode()
    response = client.post(
        url, {f"tier-{first.pk}-name": "Front desk", f"tier-{first.pk}-may_decide": "answers"}
    )
    assert response.status_code == 302
    assert client.post(_page("intake-tier-add"), {"name": "Director"}).status_code == 302
    delete = _page("intake-tier-delete", tiers[1].pk)
    assert client.post(delete, {"expected": "Someone else"}).status_code == 400
    assert client.post(delete, {"expected": tiers[1].name}).status_code == 302
    with tenant_context(org_a.organization):
        names = list(EscalationTier.objects.order_by("level").values_list("level", "name"))
    assert names == [(1, "Front desk"), (2, "Supervisor"), (3, "Director")]


# API ---------------------------------------------------------------------------------------


def test_api_lead_patch_checks_types_and_transitions(org_a: OrgWorld):
    lead = _lead(org_a)
    api = _api(org_a)
    url = f"/api/v1/intake/leads/{lead.pk}/"
    body = api.get(url).json()
    assert body["status"] == "new" and body["allowed_statuses"] == ["contacted", "lost"]
    response = api.patch(url, {"status": 5}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["status"] == ["Must be a string."]
    response = api.patch(url, {"status": "retained"}, content_type="application/json")
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]
    response = api.patch(url, {"status": "lost"}, content_type="application/json")
    assert "lost_reason" in response.json()["error"]["fields"]
    response = api.patch(
        url, {"status": "lost", "lost_reason": "No answer"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status_label"] == "Lost"
    listed = api.get("/api/v1/intake/leads/", {"status": "lost"}).json()
    assert [row["id"] for row in listed["results"]] == [lead.pk]
    assert api.get("/api/v1/intake/leads/", {"location_id": "abc"}).status_code == 400


def test_api_appointment_create(org_a: OrgWorld, org_b: OrgWorld):
    lead = _lead(org_a)
    foreign_place = location(org_b)
    api = _api(org_a)
    url = f"/api/v1/intake/leads/{lead.pk}/appointments/"
    with time_machine.travel(NOW, tick=False):
        past = api.post(url, {"starts_at": "2026-03-10T10:00"}, content_type="application/json")
        assert past.status_code == 400 and "starts_at" in past.json()["error"]["fields"]
        foreign = api.post(
            url,
            {"starts_at": "2026-03-12T10:00", "location_id": foreign_place.pk},
            content_type="application/json",
        )
        assert foreign.json()["error"]["fields"] == {"location_id": ["No such location."]}
        made = api.post(url, {"starts_at": "2026-03-12T10:00"}, content_type="application/json")
        assert made.status_code == 201
        assert made.json()["starts_local"] == "12 Mar 2026, 10:00 EDT"
        assert made.json()["time_zone"] == "America/New_York"
        listed = api.get("/api/v1/intake/appointments/").json()["results"]
        assert [row["id"] for row in listed] == [made.json()["id"]]


def test_api_cases_create_reopen_escalate_resolve_assign(org_a: OrgWorld, org_b: OrgWorld):
    api = _api(org_a)
    created = api.post(
        "/api/v1/intake/cases/",
        {"subject": "No hot water", "category": "service_failure", "contact_phone": "+12125550177"},
        content_type="application/json",
    )
    assert created.status_code == 201
    case = created.json()
    assert case["tier"]["name"] == "Frontline" and case["priority_label"] == "Normal"
    assert [e["kind"] for e in case["events"]] == ["opened"]
    url = f"/api/v1/intake/cases/{case['id']}/"
    bad = api.post(url + "resolve/", {"resolution": "Fixed"}, content_type="application/json")
    assert bad.status_code == 400 and "root_cause" in bad.json()["error"]["fields"]
    escalated = api.post(
        url + "escalate/", {"reason": "Needs a visit"}, content_type="application/json"
    )
    assert escalated.json()["tier"]["name"] == "Specialist"
    event = escalated.json()["events"][-1]
    assert (event["from_tier"], event["to_tier"], event["reason"]) == (
        "Frontline",
        "Specialist",
        "Needs a visit",
    )
    foreign_owner = org_b.members[Role.AGENT].pk
    assigned = api.post(
        url + "assign/", {"owner_id": foreign_owner}, content_type="application/json"
    )
    assert assigned.json()["error"]["fields"] == {"owner_id": ["No such member."]}
    resolved = api.post(
        url + "resolve/",
        {"root_cause": "Product or service", "resolution": "Boiler replaced"},
        content_type="application/json",
    )
    assert resolved.json()["status"] == "resolved"
    again = api.post(
        "/api/v1/intake/cases/",
        {"subject": "Cold again", "category": "service_failure", "contact_phone": "+12125550177"},
        content_type="application/json",
    )
    assert again.status_code == 200
    assert again.json()["id"] == case["id"] and again.json()["reopened_count"] == 1
    with tenant_context(org_a.organization):
        assert Case.objects.count() == 1
        assert CaseEvent.objects.filter(kind=CaseEventKind.REOPENED).count() == 1
    invalid = api.post(
        "/api/v1/intake/cases/",
        {"subject": "", "category": "weather", "priority": True},
        content_type="application/json",
    )
    assert invalid.status_code == 400
    assert set(invalid.json()["error"]["fields"]) == {"priority"}
