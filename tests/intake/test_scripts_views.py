"""Script pages: the list and new scripts, the builder's edits (add, condition, reorder,
delete), bad edits refused with their problems and nothing saved, approval refused with its
problems, version history in the organisation's zone. Each test names the regression it
catches."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from intake.models import Script, ScriptVersion, VersionStatus
from intake.services import scripts as services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.intake.worlds import SMALL_DEFINITION

pytestmark = pytest.mark.django_db


def url(world: Any, name: str, *args: Any) -> str:
    return reverse(name, args=[world.organization.slug, *args])


@pytest.fixture
def supervisor(client, org_a):
    client.force_login(org_a.user(Role.SUPERVISOR))
    return client


@pytest.fixture
def script(org_a) -> Script:
    with tenant_context(org_a.organization):
        return services.script_create(
            actor=org_a.tenant(Role.SUPERVISOR), name="Intake", definition=SMALL_DEFINITION
        )


def draft_of(org: Any, script: Script) -> ScriptVersion:
    with tenant_context(org.organization):
        draft = services.draft_of(script)
        assert draft is not None
        return draft


def ids(org: Any, script: Script) -> list[str]:
    return services.field_ids(draft_of(org, script).definition)


def builder_post(client: Any, org: Any, script: Script, **data: Any) -> Any:
    return client.post(url(org, "intake-script-builder", script.pk), data)


@pytest.mark.clock
def test_the_list_shows_status_in_words_in_the_organisations_zone(supervisor, org_a, script):
    # Catches UTC times without a zone, or codes ("approved") instead of words.
    org_a.organization.time_zone = "America/New_York"
    org_a.organization.save()
    with tenant_context(org_a.organization), time_machine.travel("2026-12-02T19:05:00Z"):
        version = services.version_approve(
            actor=org_a.tenant(Role.SUPERVISOR), version=draft_of(org_a, script)
        )
        services.draft_start(actor=org_a.tenant(Role.SUPERVISOR), script=script)
    response = supervisor.get(url(org_a, "intake-scripts"))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"Version {version.number} approved on 2 Dec 2026, 14:05 EST · draft in progress" in text
    assert "Every location" in text
    for template in ("Legal intake", "Healthcare access", "Home services", "General message"):
        assert template in text


def test_new_script_from_a_template_opens_its_builder(supervisor, org_a):
    response = supervisor.post(
        url(org_a, "intake-scripts"), {"name": "Clinic line", "template": "healthcare_access"}
    )
    with tenant_context(org_a.organization):
        script = Script.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(org_a, "intake-script-builder", script.pk)
    assert script.kind == "healthcare"
    assert len(ids(org_a, script)) > 3


def test_a_duplicate_name_is_a_clear_error_not_a_500(supervisor, org_a, script):
    response = supervisor.post(url(org_a, "intake-scripts"), {"name": "INTAKE", "template": ""})
    assert response.status_code == 400
    assert services.NAME_TAKEN in response.content.decode()
    with tenant_context(org_a.organization):
        assert Script.objects.count() == 1


def test_add_a_field_with_a_condition(supervisor, org_a, script):
    # Catches a condition stored with the typed text ("yes") rather than the answer (true).
    response = builder_post(
        supervisor,
        org_a,
        script,
        action="field_add",
        section="caller",
        **{
            "new-caller-label": "Which hospital?",
            "new-caller-type": "single_choice",
            "new-caller-sensitivity": "health",
            "new-caller-required": "on",
            "new-caller-choices": "General\nst_marys | St Mary's",
            "new-caller-condition_field": "injured",
            "new-caller-condition_value": "Yes",
        },
    )
    assert response.status_code == 302
    field = draft_of(org_a, script).definition["sections"][0]["fields"][-1]
    assert field["id"] == "which_hospital"
    assert field["condition"] == {"field": "injured", "equals": True}
    assert field["validation"]["choices"] == [
        {"value": "general", "label": "General"},
        {"value": "st_marys", "label": "St Mary's"},
    ]
    assert (field["required"], field["sensitivity"]) == (True, "health")
    page = supervisor.get(url(org_a, "intake-script-builder", script.pk)).content.decode()
    assert "Shown when “Was anyone injured?” is Yes" in page
    assert "Single choice" in page and "Health" in page


def test_a_bad_edit_is_refused_with_its_problem_and_nothing_saved(supervisor, org_a, script):
    # Catches a regular expression that cannot compile reaching the stored draft.
    before = draft_of(org_a, script).definition
    response = builder_post(
        supervisor,
        org_a,
        script,
        action="field_add",
        section="caller",
        **{
            "new-caller-label": "Case number",
            "new-caller-type": "short_text",
            "new-caller-sensitivity": "ordinary",
            "new-caller-pattern": "([A-Z]",
        },
    )
    assert response.status_code == 400
    assert "not a valid regular expression" in response.content.decode()
    assert draft_of(org_a, script).definition == before


def test_a_condition_value_a_field_cannot_hold_is_refused(supervisor, org_a, script):
    response = builder_post(
        supervisor,
        org_a,
        script,
        action="field_add",
        section="caller",
        **{
            "new-caller-label": "Details",
            "new-caller-type": "long_text",
            "new-caller-sensitivity": "ordinary",
            "new-caller-condition_field": "injured",
            "new-caller-condition_value": "maybe",
        },
    )
    assert response.status_code == 400
    assert "Write yes or no." in response.content.decode()
    assert "details" not in ids(org_a, script)


def test_reorder_and_delete(supervisor, org_a, script):
    builder_post(supervisor, org_a, script, action="field_move", field="reason", direction="up")
    assert ids(org_a, script) == ["reason", "full_name", "injured", "injuries"]
    builder_post(supervisor, org_a, script, action="field_delete", field="full_name")
    assert ids(org_a, script) == ["reason", "injured", "injuries"]
    builder_post(supervisor, org_a, script, action="section_add", title="Next steps")
    builder_post(
        supervisor, org_a, script, action="section_move", section="next_steps", direction="up"
    )
    sections = [s["id"] for s in draft_of(org_a, script).definition["sections"]]
    assert sections == ["next_steps", "caller"]


def test_an_unknown_field_changes_nothing(supervisor, org_a, script):
    # Catches a stale click (the field was removed in another tab) acting on something else.
    before = draft_of(org_a, script).definition
    for field in ("gone", "../../x", ""):
        response = builder_post(supervisor, org_a, script, action="field_delete", field=field)
        assert response.status_code == 400
    assert draft_of(org_a, script).definition == before


def test_htmx_edits_answer_the_builder_fragment(supervisor, org_a, script):
    response = supervisor.post(
        url(org_a, "intake-script-builder", script.pk),
        {"action": "field_move", "field": "injured", "direction": "down"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="builder"') and "<html" not in text
    assert ids(org_a, script)[-1] == "injured"


def test_edit_a_field_keeps_its_id(supervisor, org_a, script):
    edit = url(org_a, "intake-script-field", script.pk)
    assert supervisor.get(edit + "?field=reason").status_code == 200
    response = supervisor.post(
        edit,
        {
            "field": "reason",
            "label": "Why are you calling?",
            "type": "long_text",
            "sensitivity": "ordinary",
            "max_length": "500",
        },
    )
    assert response.status_code == 302
    field = draft_of(org_a, script).definition["sections"][0]["fields"][1]
    assert (field["id"], field["label"], field["validation"]) == (
        "reason",
        "Why are you calling?",
        {"max_length": 500},
    )


def test_read_aloud_texts(supervisor, org_a, script):
    builder_post(
        supervisor,
        org_a,
        script,
        action="read_aloud",
        greeting="Good morning.",
        disclaimers="We are not a law firm.\n\nCalls are recorded.",
        closing="Bye.",
        notices="Be kind.",
    )
    doc = draft_of(org_a, script).definition
    assert doc["read_aloud"] == {
        "greeting": "Good morning.",
        "disclaimers": ["We are not a law firm.", "Calls are recorded."],
        "closing": "Bye.",
    }
    assert doc["notices"] == ["Be kind."]


def test_the_json_editor_lists_every_problem_and_saves_nothing(supervisor, org_a, script):
    before = draft_of(org_a, script).definition
    bad = copy.deepcopy(SMALL_DEFINITION)
    bad["sections"][0]["fields"][0]["type"] = "colour"
    bad["sections"][0]["fields"][1]["label"] = ""
    response = supervisor.post(
        url(org_a, "intake-script-json", script.pk), {"definition": str(bad)}
    )
    assert response.status_code == 400 and "This is not JSON" in response.content.decode()
    response = supervisor.post(
        url(org_a, "intake-script-json", script.pk), {"definition": json.dumps(bad)}
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "colour" in text and "The label is empty." in text
    assert draft_of(org_a, script).definition == before


def test_approval_is_refused_with_its_problems(supervisor, org_a, script):
    # Catches approval of a loop, and a refusal that does not say why.
    doc = copy.deepcopy(SMALL_DEFINITION)
    doc["sections"][0]["fields"][1]["condition"] = {"field": "injuries", "answered": True}
    doc["sections"][0]["fields"][3]["condition"] = {"field": "reason", "answered": True}
    draft = draft_of(org_a, script)
    with tenant_context(org_a.organization):
        services.version_definition_set(actor=org_a.tenant(), version=draft, definition=doc)
    page = supervisor.get(url(org_a, "intake-script", script.pk)).content.decode()
    assert "the conditions loop" in page and "cannot be approved yet" in page
    response = supervisor.post(url(org_a, "intake-script-approve", draft.pk), follow=True)
    assert "Not approved — " in response.content.decode()
    assert draft_of(org_a, script).status == VersionStatus.DRAFT


@pytest.mark.clock
def test_approve_with_a_note_then_history_names_who_and_when(supervisor, org_a, script):
    org_a.organization.time_zone = "Europe/London"
    org_a.organization.save()
    draft = draft_of(org_a, script)
    response = supervisor.post(url(org_a, "intake-script-approve", draft.pk), {"note": "x" * 201})
    assert draft_of(org_a, script).status == VersionStatus.DRAFT
    with time_machine.travel("2026-07-01T12:30:00Z"):
        # Signed in at that moment: a session from the suite's own clock (TEST_CLOCK may be
        # weeks earlier) would have expired by then.
        supervisor.force_login(org_a.user(Role.SUPERVISOR))
        response = supervisor.post(
            url(org_a, "intake-script-approve", draft.pk), {"note": "First go"}, follow=True
        )
        text = response.content.decode()
        assert "approved: agents get it" in text
        assert "1 Jul 2026, 13:30 BST" in text and "Europe/London" in text
        assert "supervisor@acme.test" in text and "“First go”" in text
        response = supervisor.post(url(org_a, "intake-script-retire", draft.pk), follow=True)
        assert "retired" in response.content.decode()
    with tenant_context(org_a.organization):
        draft.refresh_from_db()
    assert draft.status == VersionStatus.RETIRED


def test_long_note_is_refused_with_a_message(supervisor, org_a, script):
    draft = draft_of(org_a, script)
    response = supervisor.post(
        url(org_a, "intake-script-approve", draft.pk), {"note": "x" * 201}, follow=True
    )
    assert "at most 200 characters" in response.content.decode()
    assert draft_of(org_a, script).status == VersionStatus.DRAFT


def test_preview_shows_the_draft_as_agents_will(supervisor, org_a, script):
    response = supervisor.get(url(org_a, "intake-script-preview", script.pk))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Thank you for calling." in text and "Was anyone injured?" in text


def test_agents_cannot_open_the_builder_and_foreign_scripts_are_404(client, org_a, org_b, script):
    client.force_login(org_a.user(Role.AGENT))
    assert client.get(url(org_a, "intake-script-builder", script.pk)).status_code == 403
    with tenant_context(org_b.organization):
        foreign = services.script_create(actor=org_b.tenant(), name="Theirs")
    client.force_login(org_a.user(Role.OWNER))
    assert client.get(url(org_a, "intake-script-builder", foreign.pk)).status_code == 404
    assert (
        client.post(
            url(org_a, "intake-script-builder", foreign.pk), {"action": "section_add"}
        ).status_code
        == 404
    )
