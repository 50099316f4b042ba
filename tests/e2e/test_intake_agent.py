"""The agent's workspace in a real browser: an agent opens a ringing call from the home, works
a script with a conditional field, reloads and finds the draft as typed, and completes it with
a disposition. Each test names the regression it catches.

With ``INTAKE_SHOTS=<folder>`` set, each page is also saved as a screenshot at 1366 and 390
pixels wide, to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from playwright.sync_api import expect

from intake.models import Intake, IntakeStatus
from intake.services import answers as answer_service
from routing.models import RoutingVersion
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.e2e.conftest import sign_in
from tests.intake.matrix_workspace import ringing_call
from tests.intake.test_workspace_services import RICH_DEFINITION
from tests.intake.worlds import approved_script
from tests.routing.worlds import published_version_id

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("INTAKE_SHOTS", "")


def shoot(page: Any, name: str) -> None:
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 820})


@pytest.fixture
def world(org_a: Any, settings: Any) -> Any:
    settings.ROUTING_REDIS_URL = "redis://localhost:6379/7"
    with tenant_context(org_a.organization):
        version = RoutingVersion.objects.select_related("location").get(
            pk=published_version_id(org_a)
        )
    org_a.answered_location = version.location
    approved_script(org_a, name="Legal intake", definition=RICH_DEFINITION, kind="legal")
    return org_a


def test_agent_opens_a_ringing_call_works_the_script_and_completes(page: Any, world: Any):
    # Catches, end to end: a call that never shows, a conditional field that never appears,
    # a draft lost on reload, Enter submitting the form, and a completion that does not stick.
    ringing_call(world, e164="+13125550123", at_location=world.answered_location)
    sign_in(page, world.user(Role.AGENT).email)
    page.goto("/o/acme/intake/")
    row = page.get_by_test_id("call-row").filter(has_text="+13125550123")
    expect(row).to_be_visible()
    shoot(page, "home")
    row.get_by_role("button", name="Open intake").click()
    page.wait_for_url("**/o/acme/intake/*/")

    # Keyboard first: the first question has the focus, and Enter moves on, not submits.
    full_name = page.get_by_label("Full name")
    expect(full_name).to_be_focused()
    full_name.type("Ann Lee")
    full_name.press("Enter")
    expect(page.get_by_label("Callback number")).to_be_focused()

    injuries = page.get_by_label("Injuries")
    expect(injuries).to_be_hidden()
    page.locator("#field-injured").get_by_text("Yes").click()
    expect(injuries).to_be_visible()
    injuries.fill("Broken wrist")
    page.get_by_label("Email").fill("ann@")
    status = page.get_by_test_id("autosave-status")
    expect(status).to_contain_text("Draft saved at")
    expect(page.locator("#err-email")).to_contain_text("email address")
    page.locator("#field-matter").get_by_text("Personal injury").click()
    page.get_by_label("Date of the incident").fill("2025-01-10")
    # The reload below must come after the save that holds the last answer: "Draft saved
    # at" is already on the page from an earlier save.
    with page.expect_response(
        lambda r: (
            r.url.endswith("/autosave/") and "in danger" in unquote_plus(r.request.post_data or "")
        )
    ):
        page.get_by_label("Reason for calling").fill("Someone is in danger at home")
    expect(page.get_by_test_id("urgent")).to_contain_text("Transfer the caller")
    expect(status).to_contain_text("Draft saved at")
    shoot(page, "work")

    page.reload()
    expect(page.get_by_label("Full name")).to_have_value("Ann Lee")
    expect(page.get_by_label("Injuries")).to_have_value("Broken wrist")
    expect(page.get_by_label("Email")).to_have_value("ann@")

    # Completing with the bad email is refused on the page, field by field.
    page.get_by_label("Disposition").select_option(label="New lead")
    page.get_by_label("Next step").fill("Attorney calls back today")
    page.get_by_test_id("complete").click()
    expect(page.get_by_test_id("refused")).to_be_visible()
    expect(page.locator("#err-email")).to_contain_text("email address")
    shoot(page, "refused")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_test_id("complete").click()
    page.wait_for_url("**/o/acme/intake/")
    expect(page.locator(".message-success")).to_contain_text("Intake completed as “New lead”")

    with tenant_context(world.organization):
        intake = Intake.objects.select_related("script_version").get()
    assert intake.status == IntakeStatus.COMPLETED
    assert intake.urgent is True
    assert answer_service.decode(intake.health_answers) == {"injuries": "Broken wrist"}
    assert intake.next_step == "Attorney calls back today"

    if SHOTS:
        page.goto(f"/o/acme/intake/{intake.pk}/")
        shoot(page, "completed")
        page.goto("/o/acme/intake/start/")
        shoot(page, "start")


def test_the_home_shows_a_new_call_without_a_reload(page: Any, world: Any):
    # Catches a calls list that only changes when the agent reloads the page.
    sign_in(page, world.user(Role.AGENT).email)
    page.goto("/o/acme/intake/")
    expect(page.get_by_test_id("live-calls")).to_contain_text("No calls ringing")
    page.evaluate("window.__sameDocument = true")
    ringing_call(world, e164="+13125550188", at_location=world.answered_location)
    row = page.get_by_test_id("call-row").filter(has_text="+13125550188")
    expect(row).to_be_visible(timeout=12_000)
    assert page.evaluate("window.__sameDocument === true")
