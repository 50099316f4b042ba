"""Setup pages in a real browser: a supervisor imports parties (a bad file first, refused
row by row), searches a misspelt name, adds a webhook recipient and copies its secret, and
tries a failed handoff again. Set SETUP_SHOTS to a directory to save each page at desktop
and phone widths."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from intake.models import Handoff, HandoffState, IntakeStatus
from intake.services import handoffs
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.e2e.conftest import sign_in
from tests.intake.worlds import draft_intake, location

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SETUP_SHOTS", "")


def _shoot(tab: Any, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        tab.set_viewport_size({"width": width, "height": 900})
        tab.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    tab.set_viewport_size({"width": 1280, "height": 820})


@pytest.fixture(autouse=True)
def local_http(settings: Any) -> None:
    settings.INTAKE_HANDOFF_ALLOW_LOCAL_HTTP = True


def test_import_search_recipient_and_try_again(
    page: Any,
    org_a: OrgWorld,
    tmp_path: Path,
) -> None:
    where = location(org_a, name="Midtown office")
    intake = draft_intake(org_a, location=where)
    with tenant_context(org_a.organization):
        intake.status, intake.completed_at = IntakeStatus.COMPLETED, timezone.now()
        intake.answers = {"reason": "Car accident"}
        intake.save()
        handoffs.create_recipient(
            actor=org_a.tenant(), kind="email", address="desk@example.com", role=Role.SUPERVISOR
        )
        (handoff,) = handoffs.queue_handoffs(intake=intake)
        Handoff.objects.filter(pk=handoff.pk).update(
            state=HandoffState.FAILED, attempts=6, last_error="The webhook answered HTTP 503."
        )
    sign_in(page, org_a.user(Role.SUPERVISOR).username)

    page.goto("/o/acme/intake/parties/")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,role\nJohn Smith,client\nRoad Runner,enemy\n")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import parties").click()
    expect(page.locator("#import-problems")).to_contain_text("Row 3: role 'enemy' is not one of")
    _shoot(page, "parties-refused")

    good = tmp_path / "good.csv"
    good.write_text(
        "name,role,external_ref\nJohn Smith,client,P-1\nAcme Trucking LLC,adverse party,P-2\n"
        + "".join(f"Person {n},related,R-{n}\n" for n in range(30))
    )
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import parties").click()
    expect(page.locator(".messages")).to_contain_text("Imported 32 parties: 32 added")
    page.get_by_label("Name", exact=True).fill("Jon Smyth")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-hits")).to_contain_text("John Smith")
    expect(page.locator("#search-hits")).to_contain_text("Client")
    _shoot(page, "parties")

    page.goto("/o/acme/intake/matters/")
    _shoot(page, "matters")

    page.goto("/o/acme/intake/recipients/")
    _shoot(page, "recipients")
    page.get_by_role("radio", name="Webhook").check()
    page.get_by_label("Email address or webhook URL").fill("https://hooks.example.com/intake")
    page.get_by_label("For calls to").select_option(label="Midtown office")
    page.get_by_role("button", name="Add recipient").click()
    secret = page.get_by_test_id("webhook-secret").input_value()
    assert secret.startswith("whsec_")
    _shoot(page, "recipient-created")
    page.get_by_role("link", name="I have copied it").click()
    expect(page.locator("#recipients-table")).to_contain_text("Midtown office")
    assert secret not in page.content()

    page.goto("/o/acme/intake/handoffs/")
    expect(page.locator("#failed-handoffs")).to_contain_text("The webhook answered HTTP 503.")
    _shoot(page, "handoffs")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(".messages")).to_contain_text("Trying the handoff to desk@example.com")
    with tenant_context(org_a.organization):
        assert Handoff.objects.get(pk=handoff.pk).state == HandoffState.PENDING

    page.goto(f"/handoffs/ack/{handoffs.ack_token(handoff)}/")
    _shoot(page, "ack")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".messages")).to_contain_text("the handoff is acknowledged")
    _shoot(page, "ack-done")
