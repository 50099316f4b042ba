"""Building a script in a real browser: a supervisor copies the healthcare template, adds a
field shown only for one answer (with htmx, no page reload), previews it as agents will see
it and approves it; agents then get exactly that version. Screenshots of each page at
desktop and phone widths go to /tmp/shots/scripts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from intake.models import Script, VersionStatus
from intake.selectors.scripts import approved_versions_for
from tenancy.context import tenant_context
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/scripts")


def _shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        # Tables scroll inside their own frame; the page itself never scrolls sideways.
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('main *')]
                .filter(el => !el.closest('.table-wrap') && el.checkVisibility())
                .filter(el => el.getBoundingClientRect().right > limit + 1)
                .slice(0, 5).map(el => el.tagName + '.' + el.className + '#' + el.id)""",
            width,
        )
        assert wide == [], (name, width, wide)
    page.set_viewport_size({"width": 1366, "height": 900})


def _htmx_ready(page: Any) -> None:
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.evaluate("window.__sameDocument = true")


def test_supervisor_builds_previews_and_approves_a_script(page: Any, org_a: Any) -> None:
    # Catches: a template not copied into a new draft; an added field or its condition lost
    # or stored as the typed text; the htmx edit reloading the page; the preview not showing
    # the draft; approval not reaching agents.
    slug = org_a.organization.slug
    sign_in(page, "supervisor@acme.test")
    page.goto(f"/o/{slug}/intake/scripts/")
    expect(page.get_by_role("heading", name="Scripts", exact=True)).to_be_visible()
    _shoot(page, "list-empty")
    page.get_by_label("Name").fill("Clinic front desk")
    page.locator("label.template-choice", has_text="Healthcare access").click()
    page.get_by_role("button", name="Create script").click()
    expect(page.get_by_role("heading", name="Clinic front desk")).to_be_visible()
    expect(page.get_by_test_id("field-reason")).to_contain_text("Single choice")
    _shoot(page, "builder")

    _htmx_ready(page)
    section = page.locator("#section-request")
    section.get_by_text("Add a field to “The request”").click()
    form = page.get_by_test_id("add-field-request")
    form.get_by_label("Question or label").fill("Which clinic did they visit?")
    form.get_by_label("Answer type").select_option("short_text")
    form.get_by_label("Show only when").select_option("reason")
    form.get_by_label("has the answer").fill("referral")
    SHOTS.mkdir(parents=True, exist_ok=True)
    form.screenshot(path=str(SHOTS / "add-field-form-1366.png"))
    form.get_by_role("button", name="Add field").click()
    added = page.get_by_test_id("field-which_clinic_did_they_visit")
    expect(added).to_contain_text("Shown when “Reason for the call” is")
    assert page.evaluate("window.__sameDocument === true"), "the edit reloaded the page"
    _shoot(page, "builder-added")
    added.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("has the answer")).to_have_value("referral")
    _shoot(page, "field-edit")
    page.get_by_role("link", name="Cancel").click()

    page.get_by_role("link", name="Preview", exact=True).click()
    expect(page.get_by_role("heading", name="Preview of the draft")).to_be_visible()
    question = page.get_by_label("Which clinic did they visit?")
    expect(question).to_be_hidden()
    page.get_by_label("Referral", exact=False).first.check()
    expect(question).to_be_visible()
    _shoot(page, "preview")

    page.locator("#approve summary", has_text="Approve…").click()
    page.get_by_label("Note").fill("From the healthcare template")
    page.get_by_role("button", name="Approve version 1").click()
    expect(page.get_by_text("approved: agents get it from their next intake")).to_be_visible()
    expect(page.get_by_test_id("script-status")).to_contain_text("Version 1 approved on")
    _shoot(page, "script")

    with tenant_context(org_a.organization):
        script = Script.objects.get(name="Clinic front desk")
        versions = approved_versions_for(None)
        assert [v.script_id for v in versions] == [script.pk]
        version = versions[0]
        assert version.status == VersionStatus.APPROVED
        assert version.note == "From the healthcare template"
        added_field = next(
            f
            for s in version.definition["sections"]
            for f in s["fields"]
            if f["id"] == "which_clinic_did_they_visit"
        )
    assert added_field["condition"] == {"field": "reason", "equals": "referral"}

    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.locator(".lede")).to_contain_text("by supervisor@acme.test")
    _shoot(page, "version")
    page.goto(f"/o/{slug}/intake/scripts/")
    _shoot(page, "list")
    # Version 2 starts as a copy; a bad JSON edit is refused with its problems.
    page.goto(f"/o/{slug}/intake/scripts/{script.pk}/")
    page.get_by_role("button", name="New draft").click()
    expect(page.get_by_text("Version 2, a draft")).to_be_visible()
    page.get_by_role("link", name="Advanced: edit as JSON").click()
    page.get_by_label("Definition").fill('{"sections": [{"id": "x", "fields": 3}]}')
    page.get_by_role("button", name="Check and save").click()
    expect(page.get_by_test_id("json-problems")).to_contain_text("'fields' must be a list")
    _shoot(page, "json-refused")
