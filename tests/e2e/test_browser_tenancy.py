"""The tenancy pages in a real browser: sign-in, members, locations, switching organisation,
and the sign-in lockout. Each test names the regression it catches."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tenancy.context import tenant_context
from tenancy.models import Location, Membership
from tenancy.roles import Role
from tests.e2e.conftest import sign_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _mark_page(page: Any) -> None:
    """Tag the current document once htmx is ready; the tag survives only if the page is
    never reloaded. Acting before htmx has processed the page (it loads deferred) would
    send nothing, which is a test race, not a user's."""
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.evaluate("window.__sameDocument = true")


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def _open(page: Any, label: str) -> None:
    """Follow an entry of the organisation's navigation."""
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name=label).click()


def test_owner_invites_a_member_changes_their_role_in_place_and_sees_it_audited(
    page: Any, org_a: Any
) -> None:
    # Catches: the invite form or its service broken; the role select no longer posting
    # through htmx (a full reload, or a change that is not saved); the CSRF header missing
    # from htmx requests (403); role changes missing from the audit log or its author.
    sign_in(page, "owner@acme.test")
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    _open(page, "Members")

    page.get_by_label("Email address").fill("new.agent@example.test")
    page.locator("#id_role").select_option("agent")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("new.agent@example.test was invited.")
    row = page.locator("tr", has_text="new.agent@example.test")
    expect(row).to_contain_text("Invited")

    _mark_page(page)
    row.get_by_label("Role of new.agent@example.test").select_option("supervisor")
    expect(row.locator(".row-notice")).to_have_text("Role changed.")
    assert _same_document(page), "the role change reloaded the page"
    with tenant_context(org_a.organization):
        assert Membership.objects.get(user__email="new.agent@example.test").role == "supervisor"
    page.screenshot(path="/tmp/ui-members.png", full_page=True)

    _open(page, "Audit log")
    change = page.locator("#audit-table tbody tr", has_text="new.agent@example.test").first
    expect(change).to_contain_text("Changed")
    expect(change).to_contain_text("owner@acme.test")
    expect(change.locator("del")).to_have_text("Agent")
    expect(change.locator("ins")).to_have_text("Supervisor")
    page.screenshot(path="/tmp/ui-audit.png", full_page=True)


def test_supervisor_fixes_a_bad_phone_number_and_sees_the_location_listed(
    page: Any, org_a: Any
) -> None:
    # Catches: phone validation missing (a bad number stored) or its error shown away from
    # the field; the form losing what was typed; national numbers not normalised to E.164.
    sign_in(page, "supervisor@acme.test")
    _open(page, "Locations")
    page.get_by_role("link", name="Add location").click()
    page.get_by_label("Name").fill("Brooklyn Office")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("Address").fill("1 Main St, Brooklyn, NY")
    page.get_by_label("Phone").fill("555-12")
    page.get_by_role("button", name="Add location").click()

    phone_field = page.locator(".field", has=page.locator("#id_phone"))
    expect(phone_field.locator(".errorlist")).to_contain_text("Enter a valid phone number")
    expect(page.locator("#id_phone")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name")).to_have_value("Brooklyn Office")
    expect(page.get_by_label("Address")).to_have_value("1 Main St, Brooklyn, NY")
    page.screenshot(path="/tmp/ui-location-error.png", full_page=True)

    page.get_by_label("Phone").fill("(718) 555-0142")
    page.get_by_role("button", name="Add location").click()
    expect(page).to_have_url(re.compile(r"/o/acme/locations/$"))
    row = page.locator("#locations-table tr", has_text="Brooklyn Office")
    expect(row).to_contain_text("+17185550142")
    expect(row).to_contain_text("America/New_York")
    with tenant_context(org_a.organization):
        assert Location.objects.get(name="Brooklyn Office").phone == "+17185550142"
    page.screenshot(path="/tmp/ui-locations.png", full_page=True)


def test_member_of_two_organisations_switches_between_them(
    page: Any, org_a: Any, org_b: Any
) -> None:
    # Catches: the home page not offering a choice to a member of several organisations; the
    # switcher listing the wrong organisations or linking to the current one only.
    person = UserFactory(username="both@example.test")
    with tenant_context(org_a.organization):
        MembershipFactory(organization=org_a.organization, user=person, role=Role.SUPERVISOR)
    with tenant_context(org_b.organization):
        MembershipFactory(organization=org_b.organization, user=person, role=Role.AGENT)

    sign_in(page, "both@example.test")
    expect(page.get_by_role("heading", name="Your organisations")).to_be_visible()
    page.screenshot(path="/tmp/ui-picker.png", full_page=True)
    page.get_by_role("link", name=re.compile("Acme Legal")).click()
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_test_id("user-role")).to_have_text("Supervisor")

    switcher = page.get_by_test_id("org-switcher")
    switcher.locator("summary").click()
    menu = switcher.get_by_role("link")
    expect(menu).to_have_count(2)
    page.screenshot(path="/tmp/ui-switcher.png")
    switcher.get_by_role("link", name="Globex Health").click()
    expect(page).to_have_url(re.compile(r"/o/globex/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Globex Health")
    expect(page.get_by_test_id("user-role")).to_have_text("Agent")
    # An agent's navigation has no members page in Globex, although Acme's had one.
    expect(page.get_by_role("navigation", name="Organisation")).not_to_contain_text("Members")


def test_five_wrong_passwords_lock_the_sign_in_with_a_clear_message(page: Any, org_a: Any) -> None:
    # Catches: django-axes not wired (unlimited guessing) or its lockout page missing (a bare
    # 429 text, or the sign-in form again with no explanation).
    for attempt in range(1, 6):
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill("owner@acme.test")
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="Sign in").click()
        if attempt < 5:
            expect(page.locator(".form-errors")).to_contain_text("do not match")
    locked = page.get_by_test_id("locked-out")
    expect(locked).to_contain_text("Too many failed sign-in attempts")
    expect(locked).to_contain_text("1 hour")
    page.screenshot(path="/tmp/ui-locked.png", full_page=True)

    # Even the right password is refused while locked.
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("owner@acme.test")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("locked-out")).to_be_visible()


def test_owner_creates_an_api_key_sees_it_once_and_revokes_it_in_place(
    page: Any, org_a: Any
) -> None:
    # Catches: the raw key missing from the result page, or shown again on the list; the
    # revoke button reloading the page or not revoking.
    sign_in(page, "owner@acme.test")
    _open(page, "API keys")
    page.get_by_role("link", name="Create API key").click()
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Role").select_option("agent")
    page.get_by_role("button", name="Create key").click()
    raw_key = page.get_by_test_id("raw-key").input_value()
    assert raw_key.startswith(f"cpk_{org_a.organization.pk}_")
    page.screenshot(path="/tmp/ui-api-key-created.png", full_page=True)

    page.get_by_role("link", name="I have copied it").click()
    expect(page.locator("#api-keys-table")).to_contain_text("CRM sync")
    assert raw_key not in page.content()

    _mark_page(page)
    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator("#api-keys-table tr", has_text="CRM sync")
    row.get_by_role("button", name="Revoke CRM sync").click()
    expect(row).to_contain_text("Revoked")
    assert _same_document(page), "revoking reloaded the page"
