"""Routing in a real browser: a supervisor changes the rules, previews a call and publishes;
the call path then gives exactly the decision the preview showed. Each test names the
regression it catches."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from routing import loading, services
from routing.document import DEFAULT_CLOSED_MESSAGE
from routing.engine import Call, Outcome, QueueState, Reason
from routing.models import RoutingVersion
from telephony import directory
from telephony import services as telephony_services
from telephony.models import Call as TelephonyCall
from telephony.models import PhoneNumber
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.e2e.conftest import sign_in
from tests.routing.builders import first_dial
from tests.routing.worlds import RoutingWorld

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_YORK = ZoneInfo("America/New_York")
# A Tuesday; the preview and the call path are both given this clock.
LUNCH = datetime(2026, 6, 2, 12, 30, tzinfo=NEW_YORK)
MORNING = datetime(2026, 6, 2, 10, 0, tzinfo=NEW_YORK)
REDIS_URL = "redis://localhost:6379/12"
TELEPHONY_REDIS_URL = "redis://localhost:6379/14"
ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "f0" * 16


@pytest.fixture
def world(org_a: Any, settings: Any) -> Iterator[RoutingWorld]:
    """Main Office with version 1 live: weekdays 09:00–17:00, Frontline then Specialists,
    voicemail after hours."""
    settings.ROUTING_REDIS_URL = REDIS_URL
    redis.Redis.from_url(REDIS_URL).flushdb()
    loading.clear_cache()
    world = RoutingWorld(org_a)
    with tenant_context(world.organization):
        rules = services.routing_for(world.location).draft
        rules["tiers"] = world.tiers()
        services.draft_save(actor=world.tenant(), location=world.location, document=rules)
        services.routing_publish(actor=world.tenant(), location=world.location, note="Start")
    yield world
    redis.Redis.from_url(REDIS_URL).flushdb()
    loading.clear_cache()


@pytest.fixture
def main_line(world: RoutingWorld, settings: Any) -> Iterator[PhoneNumber]:
    """Main Office's Twilio number, under the organisation's own subaccount, set up with
    telephony's services."""
    settings.TELEPHONY_REDIS_URL = TELEPHONY_REDIS_URL
    redis.Redis.from_url(TELEPHONY_REDIS_URL).flushdb()
    with tenant_context(world.organization):
        actor = world.tenant(Role.OWNER)
        telephony_services.twilio_account_set(
            actor=actor, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN
        )
        number = telephony_services.phone_number_create(
            actor=actor, e164="+12125550150", location=world.location, source_label="Main line"
        )
    yield number
    directory.clear_local_cache()
    redis.Redis.from_url(TELEPHONY_REDIS_URL).flushdb()


def _signed_incoming_call(number: PhoneNumber, call_sid: str, at: datetime) -> Any:
    """An incoming-call webhook as Twilio sends it, signed with the organisation's token
    over the public URL. Twilio's own clock is what routes a real call; the simulator's
    Timestamp parameter stands in for it here, so the call rings at ``at``."""
    path = "/twilio/voice/incoming"
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": "+13125550123",
        "To": number.e164,
        "Timestamp": format_datetime(at.astimezone(UTC), usegmt=True),
    }
    public_url = django_settings.PUBLIC_BASE_URL.rstrip("/") + path
    signature = RequestValidator(AUTH_TOKEN).compute_signature(public_url, params)
    return Client().post(
        path,
        data=params,
        headers={"X-Twilio-Signature": signature},
        secure=public_url.startswith("https:"),
    )


def _htmx_ready(page: Any) -> None:
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.evaluate("window.__sameDocument = true")


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def _tab(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Main Office routing").get_by_role(
        "link", name=name, exact=True
    ).click()


def _preview(page: Any, when: datetime, *, waiting: int, longest: int, showing: str) -> str:
    _htmx_ready(page)
    page.get_by_label("Date").fill(when.strftime("%Y-%m-%d"))
    page.get_by_label("Time").fill(when.strftime("%H:%M"))
    page.get_by_label("Callers already waiting").fill(str(waiting))
    page.get_by_label("Longest wait now (seconds)").fill(str(longest))
    page.get_by_label("Agents", exact=True).select_option("all_available")
    page.get_by_label("Rules", exact=True).select_option("draft")
    page.get_by_role("button", name="Preview").click()
    explanation = page.get_by_test_id("preview-explanation")
    expect(explanation).to_contain_text(showing)
    assert _same_document(page), "the preview reloaded the page instead of swapping in"
    return str(explanation.inner_text())


def test_supervisor_adds_a_lunch_gap_and_overflow_previews_and_publishes(
    page: Any, world: RoutingWorld, main_line: PhoneNumber
) -> None:
    # Catches: the break form or its htmx swap broken; overflow settings not saved; the
    # preview using other rules or code than calls do; publish not reaching the call path
    # (a stale cached version); the published decision differing from the preview; the
    # signed incoming-call webhook answering with anything but the published decision, or
    # not recording the version that routed the call.
    sign_in(page, "supervisor@acme.test")
    page.goto(f"/o/{world.organization.slug}/routing/")
    page.screenshot(path="/tmp/routing-home.png", full_page=True)
    page.get_by_role("link", name="Main Office", exact=True).click()
    expect(page.get_by_role("heading", name="Main Office")).to_be_visible()

    _tab(page, "Schedule")
    _htmx_ready(page)
    break_form = page.locator("#break-form")
    expect(break_form.get_by_label("Monday")).to_be_checked()
    break_form.get_by_label("Start").select_option("12:00")
    break_form.get_by_label("End").select_option("13:00")
    break_form.get_by_role("button", name="Add break").click()
    expect(page.get_by_role("status")).to_contain_text("Break added to the draft.")
    monday = page.locator(".week-row", has_text="Mon").locator(".week-block")
    expect(monday).to_have_count(2)
    expect(page.get_by_test_id("draft-status")).to_contain_text("Unpublished changes")
    assert _same_document(page), "adding a break reloaded the page"
    page.screenshot(path="/tmp/routing-schedule.png", full_page=True)

    _tab(page, "Tiers & overflow")
    overflow = page.locator("#overflow-form")
    overflow.get_by_label("Overflow after waiting (seconds)").fill("60")
    overflow.get_by_label("A backup number (answering service)").check()
    overflow.get_by_label("Backup name").fill("Backup Answering")
    overflow.get_by_label("Backup phone").fill("(312) 555-0199")
    overflow.get_by_role("button", name="Save overflow").click()
    expect(page.get_by_role("status")).to_contain_text("Overflow saved in the draft.")
    expect(page.locator("#overflow-form").get_by_label("Backup phone")).to_have_value(
        "+13125550199"
    )
    page.screenshot(path="/tmp/routing-tiers.png", full_page=True)

    _tab(page, "Preview")
    lunch_text = _preview(page, LUNCH, waiting=0, longest=0, showing="Tuesday 12:30")
    assert lunch_text.startswith(
        "Closed — Tuesday 12:30 is in the gap between 09:00–12:00 and 13:00–17:00"
    )
    expect(page.get_by_test_id("preview-twiml")).to_contain_text("<Record")
    page.screenshot(path="/tmp/routing-preview-lunch.png", full_page=True)
    busy_text = _preview(page, MORNING, waiting=3, longest=75, showing="Tuesday 09:00")
    assert "callers already wait 75 s, longer than 60 s; overflow to Backup Answering" in (
        busy_text
    )
    expect(page.get_by_test_id("preview-twiml")).to_contain_text("+13125550199")
    page.screenshot(path="/tmp/routing-preview-overflow.png", full_page=True)

    _tab(page, "Overview")
    expect(page.get_by_test_id("draft-changes")).to_contain_text("Overflow after waiting")
    page.get_by_label("What changed (optional)").fill("Lunch break and overflow after 60 s")
    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 is live")
    expect(page.get_by_test_id("draft-status")).to_contain_text("Version 2 live")
    page.screenshot(path="/tmp/routing-overview.png", full_page=True)

    with tenant_context(world.organization):
        at_lunch = services.decide_incoming_call(
            location=world.location,
            call=Call(call_sid="CA-e2e-1"),
            queue_state=QueueState(),
            now=LUNCH,
        )
        busy = services.decide_incoming_call(
            location=world.location,
            call=Call(call_sid="CA-e2e-2"),
            queue_state=QueueState(3, 75),
            now=MORNING,
        )
    assert at_lunch.version_number == 2
    assert (at_lunch.outcome, at_lunch.reason) == (Outcome.VOICEMAIL, Reason.CLOSED)
    assert at_lunch.explanation == lunch_text
    assert busy.explanation == busy_text
    assert first_dial(busy).targets[0].number == "+13125550199"

    # A real signed incoming-call webhook at lunch time gets version 2's decision.
    response = _signed_incoming_call(main_line, "CA" + "e2" * 16, LUNCH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Say", "Record"]
    assert root.findtext("Say") == DEFAULT_CLOSED_MESSAGE
    record = root.find("Record")
    assert record is not None and record.get("transcribe") == "true"
    with tenant_context(world.organization):
        version = RoutingVersion.objects.get(location=world.location, number=2)
        call = TelephonyCall.objects.get(call_sid="CA" + "e2" * 16)
    for name in ("action", "recordingStatusCallback", "transcribeCallback"):
        url = record.get(name, "")
        assert dict(parse_qsl(urlsplit(url).query)) == {
            "pn": str(main_line.pk),
            "location": str(world.location.pk),
            "version": str(version.pk),
        }
    assert call.routing_version_id == version.pk
    assert call.is_after_hours

    _tab(page, "History")
    expect(page.locator("#versions-table")).to_contain_text("Lunch break and overflow after 60 s")
    expect(page.locator("#versions-table")).to_contain_text(
        "Monday–Friday: 09:00–17:00 → 09:00–12:00, 13:00–17:00"
    )
    page.screenshot(path="/tmp/routing-history.png", full_page=True)
    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.get_by_role("button", name="Restore this version")).to_be_visible()
    page.screenshot(path="/tmp/routing-version.png", full_page=True)
    _tab(page, "Coverage")
    expect(page.get_by_test_id("coverage-grid")).to_be_visible()
    page.screenshot(path="/tmp/routing-coverage.png", full_page=True)
    _tab(page, "Holidays")
    page.screenshot(path="/tmp/routing-holidays.png", full_page=True)
    page.goto(f"/o/{world.organization.slug}/audit/")
    expect(page.locator("body")).to_contain_text("Lunch break and overflow after 60 s")
    page.screenshot(path="/tmp/routing-audit.png", full_page=True)


def test_one_click_emergency_closure_reaches_the_next_call_and_ends(
    page: Any, world: RoutingWorld
) -> None:
    # Catches: an emergency closure that needs a publish (or a restart) to reach calls, and
    # one that cannot be ended from the page.
    sign_in(page, "supervisor@acme.test")
    page.goto(f"/o/{world.organization.slug}/routing/locations/{world.location.pk}/emergency/")
    page.get_by_label("Message").fill("We are closed today because of a power cut.")
    page.get_by_role("button", name="Close now").click()
    expect(page.get_by_test_id("emergency-banner")).to_contain_text("power cut")
    page.screenshot(path="/tmp/routing-emergency.png", full_page=True)
    with tenant_context(world.organization):
        decision = services.decide_incoming_call(
            location=world.location, call=Call(), queue_state=QueueState()
        )
    assert decision.reason == Reason.EMERGENCY
    page.get_by_role("button", name="End the emergency closure now").click()
    expect(page.get_by_test_id("emergency-banner")).to_have_count(0)
    with tenant_context(world.organization):
        decision = services.decide_incoming_call(
            location=world.location, call=Call(), queue_state=QueueState()
        )
    assert decision.reason != Reason.EMERGENCY


def test_agent_sets_presence_without_a_reload_and_the_next_call_rings_them(
    page: Any, world: RoutingWorld
) -> None:
    # Catches: the presence buttons reloading the page or not saving; the Redis mirror not
    # updated after commit, so the call path would not ring an agent who became available.
    sign_in(page, "agent@acme.test")
    page.goto(f"/o/{world.organization.slug}/routing/presence/")
    _htmx_ready(page)
    expect(page.get_by_test_id("presence-current")).to_have_text("Offline")
    page.get_by_role("button", name="Available").click()
    expect(page.get_by_test_id("presence-current")).to_have_text("Available")
    assert _same_document(page)
    page.screenshot(path="/tmp/routing-presence.png", full_page=True)
    with tenant_context(world.organization):
        decision = services.decide_incoming_call(
            location=world.location, call=Call(), queue_state=QueueState(), now=MORNING
        )
    assert decision.outcome == Outcome.DIAL
    assert first_dial(decision).targets[0].number == "+12125550111"
    assert re.search(r"Frontline has 1 available", decision.explanation)
    page.goto(f"/o/{world.organization.slug}/routing/")
    assert (
        page.title().startswith("403")
        or "Forbidden" in page.content()
        or (page.get_by_role("heading", name="Routing").count() == 0)
    )
    _ = Role
