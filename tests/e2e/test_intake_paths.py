"""Two intake paths the issue requires, end to end in a real browser, each on an approved
script copied from a built-in template and opened from a call ringing at the agent's
location:

- legal intake: a misspelt other party ("Jon Smyth") finds the adverse party "John Smith"
  in the conflict panel before completion; completing as a new lead records the check, the
  lead and the caller as a prospective client;
- healthcare access: the emergency question answered yes shows the urgent instruction (the
  emergency number, the on-call clinician), marks the intake urgent and opens one urgent
  case, however many saves follow.

No date or hour in either test depends on the clock: the incident date is counted back from
today, far from any statute-of-limitations warning, and the call rings "now".

With ``INTAKE_SHOTS=<folder>`` set, the conflict hit and the urgent instruction are saved as
screenshots at 1366 and 390 pixels wide (``paths-conflict-*.png``, ``paths-urgent-*.png``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote_plus

import pytest
from playwright.sync_api import expect

from intake.models import (
    Case,
    CasePriority,
    ConflictCheck,
    Intake,
    IntakeStatus,
    Lead,
    Party,
    PartyRole,
    ScriptVersion,
)
from intake.services import answers as answer_service
from intake.services import parties as party_service
from intake.services import scripts as script_service
from intake.services.parties import PROSPECT_REF
from routing.models import RoutingVersion
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.e2e.conftest import sign_in
from tests.e2e.test_intake_agent import shoot
from tests.intake.matrix_workspace import ringing_call
from tests.routing.worlds import published_version_id

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LEGAL_CALLER = "+13125550142"
HEALTH_CALLER = "+13125557788"


def template_script(world: Any, *, name: str, template: str) -> ScriptVersion:
    """A script copied from built-in ``template`` through the builder's service, version 1
    approved by the owner, as an organisation sets one up."""
    owner = world.tenant(Role.OWNER)
    with tenant_context(world.organization):
        script = script_service.script_create(actor=owner, name=name, template=template)
        draft = ScriptVersion.objects.get(script=script, number=1)
        return script_service.version_approve(actor=owner, version=draft)


@pytest.fixture
def world(org_a: Any, settings: Any) -> Any:
    """Acme with a published routing version that rings the agent's team at a location."""
    settings.ROUTING_REDIS_URL = "redis://localhost:6379/7"
    with tenant_context(org_a.organization):
        version = RoutingVersion.objects.select_related("location").get(
            pk=published_version_id(org_a)
        )
    org_a.answered_location = version.location
    return org_a


def open_ringing_call(page: Any, world: Any, e164: str) -> Intake:
    """Sign in as the agent, open the call ringing from ``e164`` from the home, and return
    the intake it opened."""
    ringing_call(world, e164=e164, at_location=world.answered_location)
    sign_in(page, world.user(Role.AGENT).email)
    page.goto("/o/acme/intake/")
    row = page.get_by_test_id("call-row").filter(has_text=e164)
    expect(row).to_be_visible()
    row.get_by_role("button", name="Open intake").click()
    page.wait_for_url(re.compile(r"/o/acme/intake/\d+/$"))
    intake_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    with tenant_context(world.organization):
        return Intake.objects.get(pk=intake_id)


def answer(page: Any, question: str, choice: str) -> None:
    """Pick ``choice`` among the radio buttons of the question whose legend starts with
    ``question``."""
    group = page.get_by_role("group", name=re.compile("^" + re.escape(question)))
    group.get_by_label(choice, exact=True).check()


def autosave_of(text: str) -> Any:
    """A predicate for the autosave response whose posted form contains ``text``: the save
    that holds the last answer, not an earlier one still in flight."""
    return lambda response: (
        response.url.endswith("/autosave/")
        and text in unquote_plus(response.request.post_data or "")
    )


def complete(page: Any, disposition: str, next_step: str = "") -> None:
    page.get_by_label("Disposition").select_option(label=disposition)
    if next_step:
        page.get_by_label("Next step").fill(next_step)
    page.get_by_test_id("complete").click()
    page.wait_for_url(re.compile(r"/o/acme/intake/$"))
    expect(page.locator(".message-success")).to_contain_text(f"Intake completed as “{disposition}”")


def test_legal_intake_shows_a_conflict_with_a_misspelt_adverse_party(page: Any, world: Any):
    # Catches: a conflict check that never runs as the agent types, a trigram search that
    # misses a misspelling, a panel that does not show the hit before completion, and a
    # completion that makes no lead or forgets the caller as a prospective client.
    template_script(world, name="Legal intake", template="legal_intake")
    with tenant_context(world.organization):
        party_service.import_parties(
            actor=world.tenant(Role.OWNER),
            rows=[(1, {"name": "John Smith", "role": "Adverse party", "external_ref": "P-1"})],
        )
    intake = open_ringing_call(page, world, LEGAL_CALLER)
    expect(page.get_by_role("heading", name="Conflict pre-check")).to_be_visible()

    page.get_by_label("Full name").fill("Maria Lopez")
    page.get_by_label("Best phone number").fill("(312) 555-0142")
    page.get_by_label("State where it happened").select_option(label="Illinois")
    answer(page, "Kind of matter", "Personal injury")
    incident = date.today() - timedelta(days=60)
    page.get_by_label("Date of the incident").fill(incident.isoformat())
    page.get_by_label("What happened, in the caller's words").fill(
        "A delivery van reversed into her car in a car park."
    )
    answer(page, "Was anyone injured?", "No")
    answer(page, "Has the caller spoken to or hired another attorney", "No")
    page.get_by_label("Other people or companies involved").fill("Jon Smyth")

    panel = page.get_by_test_id("conflict-panel")
    expect(panel).to_contain_text("Possible conflicts: resolve before booking.")
    hit = panel.locator(".iw-hits li").filter(has_text="Jon Smyth")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text("Jon Smyth matched John Smith")
    expect(hit).to_contain_text("Adverse party")
    # The caller's own name is checked too, and finds nothing.
    expect(panel).to_contain_text("Checked Maria Lopez, Jon Smyth")
    expect(page.get_by_test_id("autosave-status")).to_contain_text("Draft saved at")
    hit.scroll_into_view_if_needed()
    shoot(page, "paths-conflict")

    complete(page, "New lead", next_step="Attorney calls Maria back today")

    with tenant_context(world.organization):
        intake.refresh_from_db()
        checks = list(ConflictCheck.objects.filter(intake=intake).order_by("checked_at", "pk"))
        lead = Lead.objects.get(intake=intake)
        prospect = Party.objects.get(external_ref=PROSPECT_REF.format(intake.pk))
        parties = sorted(Party.objects.values_list("name", "role"))
    assert intake.status == IntakeStatus.COMPLETED
    assert intake.disposition == "new_lead"
    assert checks, "no conflict check was recorded"
    last = checks[-1]
    assert last.names == ["Maria Lopez", "Jon Smyth"]
    assert [(h["name"], h["matched"], h["kind"], h["role"]) for h in last.hits] == [
        ("Jon Smyth", "John Smith", "party", PartyRole.ADVERSE)
    ]
    assert 0.3 <= last.hits[0]["score"] < 1
    assert last.checked_by_id == world.members[Role.AGENT].pk
    assert lead.name == "Maria Lopez"  # the name the agent took, though the call had none
    assert lead.phone == LEGAL_CALLER
    assert lead.next_step == "Attorney calls Maria back today"
    assert lead.owner_id == world.members[Role.AGENT].pk
    assert (prospect.name, prospect.role) == ("Maria Lopez", PartyRole.PROSPECT)
    assert parties == [("John Smith", "adverse"), ("Maria Lopez", "prospect")]


def test_healthcare_emergency_answer_shows_the_urgent_instruction_once(page: Any, world: Any):
    # Catches: an urgent instruction that never appears (or not where the agent looks), an
    # intake not marked urgent, no urgent case for a supervisor, a second case opened by
    # the next save, and a completion refused because of the urgent path.
    template_script(world, name="Healthcare access", template="healthcare_access")
    intake = open_ringing_call(page, world, HEALTH_CALLER)
    urgent = page.get_by_test_id("urgent")
    expect(urgent).to_have_count(0)

    page.get_by_label("Patient's full name").fill("Dana Whitfield")
    page.get_by_label("Patient's date of birth").fill("1961-03-14")
    page.get_by_label("Callback number").fill("(312) 555-7788")
    answer(page, "Is the caller the patient?", "Yes")
    answer(page, "Is the caller describing an emergency", "Yes")

    expect(urgent).to_be_visible()
    expect(urgent).to_have_attribute("role", "alert")
    expect(urgent).to_contain_text("Urgent: Tell the caller to hang up and dial 911 now")
    expect(urgent).to_contain_text("(or 988 for a mental-health crisis)")
    expect(urgent).to_contain_text("Then page the on-call clinician.")
    expect(urgent).to_contain_text(
        "The intake is marked urgent and an urgent case is open for a supervisor."
    )
    # Prominent: beside the form's top on a desktop screen, without scrolling.
    expect(urgent).to_be_in_viewport()
    shoot(page, "paths-urgent")

    # More saves after the escalation (a watched keyword included) open no second case.
    answer(page, "Reason for the call", "Appointment")
    answer(page, "New or existing patient?", "Existing patient")
    with page.expect_response(autosave_of("chest pain")) as saved:
        page.get_by_label("Anything else we should pass on").fill("Mentions chest pain since noon")
    assert saved.value.ok
    expect(page.get_by_test_id("autosave-status")).to_contain_text("Draft saved at")
    page.reload()
    expect(page.get_by_test_id("urgent")).to_contain_text("dial 911 now")
    expect(page.locator(".lede .badge")).to_have_text("Urgent")

    with tenant_context(world.organization):
        intake.refresh_from_db()
        cases = list(Case.objects.filter(intake=intake))
    assert intake.urgent is True
    assert intake.status == IntakeStatus.DRAFT
    assert len(cases) == 1
    assert cases[0].priority == CasePriority.URGENT
    assert cases[0].contact_phone == HEALTH_CALLER
    assert cases[0].location_id == world.answered_location.pk

    complete(page, "General message")

    with tenant_context(world.organization):
        intake.refresh_from_db()
        urgent_cases = Case.objects.filter(intake=intake, priority=CasePriority.URGENT).count()
        all_cases = Case.objects.filter(intake=intake).count()
    assert intake.status == IntakeStatus.COMPLETED
    assert intake.disposition == "general_message"
    assert intake.urgent is True
    assert (urgent_cases, all_cases) == (1, 1)
    assert intake.answers["urgent"] is True
    health = answer_service.decode(intake.health_answers)
    assert health == {"anything_else": "Mentions chest pain since noon"}
