"""The agent's workspace pages: the home lists the calls of the agent's own locations, a call
opens an intake, the form autosaves with a revision, completion re-shows refusals. Each test
names the regression it catches."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Intake, IntakeStatus
from intake.services import answers as answer_service
from routing.models import RoutingVersion
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.intake.matrix_workspace import ringing_call
from tests.intake.test_workspace_services import RICH_DEFINITION, reload, rich_intake
from tests.intake.worlds import approved_script, location
from tests.routing.worlds import published_version_id

pytestmark = pytest.mark.django_db


def signed_in(world: OrgWorld, role: Role = Role.AGENT) -> Client:
    client = Client()
    client.force_login(world.user(role))
    return client


def url(name: str, *args: Any, slug: str = "acme") -> str:
    return reverse(name, args=[slug, *args])


def answered_location(world: OrgWorld) -> Any:
    """A location whose published routing rings a team the world's agent is on."""
    with tenant_context(world.organization):
        return (
            RoutingVersion.objects.select_related("location")
            .get(pk=published_version_id(world))
            .location
        )


def test_home_lists_ringing_calls_of_the_agents_locations_only(org_a: OrgWorld, org_b: OrgWorld):
    # Catches a home that shows another organisation's callers, or every location's calls
    # to an agent who answers for one.
    mine = answered_location(org_a)
    approved_script(org_a, name="General message")
    ringing_call(org_a, e164="+13125550101", at_location=mine)
    ringing_call(org_a, e164="+13125550102")  # a location the agent's teams do not answer
    ringing_call(org_b, e164="+13125550103", at_location=answered_location(org_b))
    page = signed_in(org_a).get(url("intake-home"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "+13125550101" in body
    assert "+13125550102" not in body
    assert "+13125550103" not in body
    assert "Open intake" in body
    # A supervisor sees every location of their own organisation, still not the other's.
    body = signed_in(org_a, Role.SUPERVISOR).get(url("intake-live")).content.decode()
    assert "+13125550101" in body and "+13125550102" in body
    assert "+13125550103" not in body


def test_qa_and_leadership_may_not_open_the_agents_home(org_a: OrgWorld):
    for role in (Role.QA, Role.LEADERSHIP):
        assert signed_in(org_a, role).get(url("intake-home")).status_code == 403


def test_a_call_row_opens_an_intake_for_that_caller(org_a: OrgWorld):
    mine = answered_location(org_a)
    version = approved_script(org_a, name="Legal intake", definition=RICH_DEFINITION)
    call = ringing_call(org_a, e164="+13125550111", at_location=mine)
    client = signed_in(org_a)
    response = client.post(url("intake-start-call", call.pk), {"script_version": str(version.pk)})
    with tenant_context(org_a.organization):
        intake = Intake.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("intake-work", intake.pk)
    assert (intake.caller_phone, intake.location_id, intake.call_id) == (
        "+13125550111",
        mine.pk,
        call.pk,
    )
    page = client.get(response["Location"])
    body = page.content.decode()
    assert 'type="tel"' in body and 'type="date"' in body and 'type="email"' in body
    # The conditional field is rendered hidden and disabled until "injured" is yes.
    assert 'id="field-injuries"' in body
    assert 'data-cond-field="injured"' in body and "hidden disabled" in body
    assert "Thank you for calling Acme Legal." in body


def test_a_call_cannot_be_opened_on_a_script_of_another_organisation(
    org_a: OrgWorld, org_b: OrgWorld
):
    foreign = approved_script(org_b, name="Theirs")
    call = ringing_call(org_a, at_location=answered_location(org_a))
    response = signed_in(org_a).post(
        url("intake-start-call", call.pk), {"script_version": str(foreign.pk)}
    )
    assert response.status_code == 302 and response["Location"] == url("intake-home")
    with tenant_context(org_a.organization):
        assert not Intake.objects.exists()


def test_autosave_refuses_a_stale_revision_with_a_clear_message(org_a: OrgWorld):
    # Catches a second tab silently overwriting the first one's newer answers.
    intake = rich_intake(org_a)
    client = signed_in(org_a)
    headers = {"HX-Request": "true"}
    first = client.post(
        url("intake-autosave", intake.pk),
        {"revision": "0", "a-full_name": "Ann Lee", "a-email": "nope"},
        headers=headers,
    )
    assert first.status_code == 200
    body = first.content.decode()
    assert "Draft saved at" in body
    assert 'id="revision" value="1"' in body
    assert "must be an email address" in body
    stale = client.post(
        url("intake-autosave", intake.pk),
        {"revision": "0", "a-full_name": "Bob"},
        headers=headers,
    )
    assert "changed in another tab or window" in stale.content.decode()
    stored = reload(org_a, intake.pk)
    assert stored.revision == 1
    assert answer_service.decode(stored.raw_answers) == {"full_name": "Ann Lee", "email": "nope"}


def test_a_reload_shows_exactly_what_was_typed(org_a: OrgWorld):
    # Catches a closed tab losing what the agent typed that did not validate yet.
    intake = rich_intake(org_a)
    client = signed_in(org_a)
    client.post(
        url("intake-autosave", intake.pk),
        {"revision": "0", "a-email": "ann@", "a-injured": "yes", "a-injuries": "Cut hand"},
        headers={"HX-Request": "true"},
    )
    body = client.get(url("intake-work", intake.pk)).content.decode()
    assert 'value="ann@"' in body
    assert "Cut hand</textarea>" in body
    assert 'value="yes" checked' in body


def test_completion_refusal_is_shown_per_field_then_success_redirects(org_a: OrgWorld):
    intake = rich_intake(org_a)
    client = signed_in(org_a)
    refused = client.post(
        url("intake-complete", intake.pk),
        {
            "revision": "0",
            "script_version_id": str(intake.script_version_id),
            "a-injured": "no",
            "a-injuries": "Broken arm",
            "disposition": "new_lead",
        },
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "The intake was not completed." in body
    assert "&#x27;Full name&#x27; is required." in body
    assert "hidden by the caller" in body
    assert "A lead needs a next step" in body
    assert reload(org_a, intake.pk).status == IntakeStatus.DRAFT
    revision = reload(org_a, intake.pk).revision
    done = client.post(
        url("intake-complete", intake.pk),
        {
            "revision": str(revision),
            "script_version_id": str(intake.script_version_id),
            "a-full_name": "Ann Lee",
            "a-matter": "family",
            "a-injured": "no",
            "disposition": "new_lead",
            "next_step": "Call back on Monday",
        },
    )
    assert done.status_code == 302 and done["Location"] == url("intake-home")
    stored = reload(org_a, intake.pk)
    assert (stored.status, stored.next_step) == (IntakeStatus.COMPLETED, "Call back on Monday")
    again = client.post(url("intake-complete", intake.pk), {"disposition": "spam"})
    assert again.status_code == 302
    assert reload(org_a, intake.pk).disposition == "new_lead"


def test_an_agent_may_not_work_another_agents_intake(org_a: OrgWorld):
    from tests.factories import MembershipFactory

    with tenant_context(org_a.organization):
        other = MembershipFactory.create(organization=org_a.organization, role=Role.AGENT)
    intake = rich_intake(org_a, agent=other)
    assert signed_in(org_a).get(url("intake-work", intake.pk)).status_code == 403
    assert signed_in(org_a, Role.SUPERVISOR).get(url("intake-work", intake.pk)).status_code == 200


def test_the_form_and_the_autosave_stay_lean_for_a_40_field_script(
    org_a: OrgWorld, django_assert_max_num_queries: Any
):
    # Catches an N+1 on the paths the agent hits on every keystroke.
    fields = [
        {"id": f"q{n}", "type": "short_text" if n % 2 else "long_text", "label": f"Question {n}"}
        for n in range(40)
    ]
    definition = {"sections": [{"id": "all", "title": "All", "fields": fields}]}
    version = approved_script(org_a, name="Forty", definition=definition)
    intake = rich_intake(org_a)
    with tenant_context(org_a.organization):
        Intake.objects.filter(pk=intake.pk).update(script_version=version)
    client = signed_in(org_a)
    client.get(url("intake-work", intake.pk))  # warm the session and caches
    with django_assert_max_num_queries(20):
        assert client.get(url("intake-work", intake.pk)).status_code == 200
    data = {"revision": "0", **{f"a-q{n}": f"answer {n}" for n in range(40)}}
    with django_assert_max_num_queries(12):
        response = client.post(
            url("intake-autosave", intake.pk), data, headers={"HX-Request": "true"}
        )
    assert "Draft saved at" in response.content.decode()


def test_start_by_hand_needs_a_location_and_a_script(org_a: OrgWorld):
    version = approved_script(org_a, name="Walk-in")
    place = location(org_a, name="Front desk")
    client = signed_in(org_a)
    refused = client.post(url("intake-start"), {"channel": "walk_in"})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    done = client.post(
        url("intake-start"),
        {
            "channel": "walk_in",
            "location": str(place.pk),
            "script_version": str(version.pk),
            "caller_phone": "312 555 0177",
        },
    )
    with tenant_context(org_a.organization):
        intake = Intake.objects.get()
    assert done["Location"] == url("intake-work", intake.pk)
    assert (intake.channel, intake.caller_phone) == ("walk_in", "+13125550177")


def test_a_tampered_script_version_in_the_form_is_refused_and_nothing_saved(org_a: OrgWorld):
    intake = rich_intake(org_a)
    response = signed_in(org_a).post(
        url("intake-complete", intake.pk),
        {
            "revision": "0",
            "script_version_id": str(intake.script_version_id + 99),
            "a-full_name": "Ann Lee",
            "a-matter": "family",
            "disposition": "spam",
        },
    )
    assert response.status_code == 400
    assert "started on another version of the script" in response.content.decode()
    stored = reload(org_a, intake.pk)
    assert (stored.status, stored.revision, stored.raw_answers) == (IntakeStatus.DRAFT, 0, "")


def test_the_conflict_button_checks_the_saved_names(org_a: OrgWorld):
    intake = rich_intake(org_a)
    client = signed_in(org_a)
    client.post(
        url("intake-autosave", intake.pk),
        {"revision": "0", "a-full_name": "Ann Lee", "a-other_party": "Acme Trucking"},
        headers={"HX-Request": "true"},
    )
    panel = client.post(url("intake-conflicts", intake.pk), headers={"HX-Request": "true"})
    body = panel.content.decode()
    assert panel.status_code == 200
    assert 'id="conflict-panel"' in body
    assert "Checked Ann Lee, Acme Trucking" in body


def test_caller_history_shows_earlier_contacts_in_the_locations_zone(
    org_a: OrgWorld, org_b: OrgWorld
):
    # Catches a history that leaks another organisation's contacts, lists the call being
    # worked as history, or shows times without their zone.
    place = location(org_a, time_zone="America/Denver")
    earlier = ringing_call(org_a, e164="+13125550170", at_location=place)
    now = ringing_call(org_a, e164="+13125550170", at_location=place)
    ringing_call(org_b, e164="+13125550170")
    past = rich_intake(org_a, caller_phone="+13125550170")
    current = rich_intake(org_a, caller_phone="+13125550170", location=place, call_id=now.pk)
    page = signed_in(org_a).get(url("intake-history", current.pk), headers={"HX-Request": "true"})
    body = page.content.decode()
    assert "Times in America/Denver." in body
    assert body.count("Inbound call") == 1  # the earlier call, not the one being worked
    assert url("intake-work", past.pk) in body
    assert url("intake-work", current.pk) not in body
    assert " MST" in body or " MDT" in body
    assert earlier.pk != now.pk
