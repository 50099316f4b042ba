"""Script services: drafts, approval and retirement, names, location limits. Each test names
the regression it catches."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from pghistory.models import Events

from intake.models import Script, ScriptVersion, VersionStatus
from intake.scripts.definition import DefinitionError
from intake.scripts.templates import TEMPLATES
from intake.selectors import scripts as selectors
from intake.services import scripts as services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.intake.worlds import SMALL_DEFINITION, location

pytestmark = pytest.mark.django_db


def _looping() -> dict[str, Any]:
    doc = copy.deepcopy(SMALL_DEFINITION)
    fields = doc["sections"][0]["fields"]
    fields[1]["condition"] = {"field": "injuries", "answered": True}
    fields[3]["condition"] = {"field": "reason", "answered": True}
    return doc


@pytest.fixture
def actor(org_a):
    return org_a.tenant(Role.SUPERVISOR)


def _draft(script: Script) -> ScriptVersion:
    draft = services.draft_of(script)
    assert draft is not None
    return draft


def _create(org, actor, **kwargs: Any) -> Script:
    kwargs.setdefault("name", "Intake")
    kwargs.setdefault("definition", SMALL_DEFINITION)
    with tenant_context(org.organization):
        return services.script_create(actor=actor, **kwargs)


def test_create_starts_a_draft_copied_from_a_template(org_a, actor):
    # Catches a template shared by reference (an edit changing every organisation's copy).
    script = _create(org_a, actor, name="Clinic", definition=None, template="healthcare_access")
    with tenant_context(org_a.organization):
        draft = _draft(script)
        assert draft is not None and draft.number == 1 and draft.status == VersionStatus.DRAFT
        assert script.kind == "healthcare"
        draft.definition["sections"][0]["title"] = "Changed"
        services.version_definition_set(actor=actor, version=draft, definition=draft.definition)
    assert TEMPLATES["healthcare_access"].definition["sections"][0]["title"] != "Changed"


def test_names_are_unique_whatever_their_case(org_a, org_b, actor):
    # Catches a duplicate name reaching the constraint as a 500, or case-sensitive checks.
    _create(org_a, actor, name="Legal Intake")
    with pytest.raises(ValidationError) as error:
        _create(org_a, actor, name="  legal INTAKE ")
    assert error.value.message_dict == {"name": [services.NAME_TAKEN]}
    other = _create(org_a, actor, name="Other")
    with tenant_context(org_a.organization), pytest.raises(ValidationError):
        services.script_update(actor=actor, script=other, name="LEGAL intake")
    # Another organisation may use the name.
    _create(org_b, org_b.tenant(), name="Legal intake")


def test_a_bad_definition_is_refused_with_every_problem_and_nothing_written(org_a, actor):
    # Catches a half-written script (a script without its version) on a bad definition.
    bad = {"sections": [{"id": "a", "fields": [{"id": "x", "type": "nope", "label": ""}]}]}
    with pytest.raises(DefinitionError) as error:
        _create(org_a, actor, definition=bad)
    assert len(error.value.problems) >= 2
    with tenant_context(org_a.organization):
        assert not Script.objects.exists()


@pytest.mark.clock
def test_approving_retires_the_previous_version_in_the_same_step(org_a, actor):
    # Catches two approved versions at once, or a retired one left without its time.
    script = _create(org_a, actor)
    with tenant_context(org_a.organization):
        first = services.version_approve(actor=actor, version=_draft(script))
        second = services.draft_start(actor=actor, script=script)
        assert second.number == 2 and second.definition == first.definition
        with time_machine.travel("2026-12-02T19:05:00Z", tick=False):
            services.version_approve(actor=actor, version=second, note="Fewer questions")
        first.refresh_from_db()
        second.refresh_from_db()
    assert first.status == VersionStatus.RETIRED and first.retired_at is not None
    assert second.status == VersionStatus.APPROVED
    assert second.approved_by_id == org_a.members[Role.SUPERVISOR].pk
    assert second.approved_by_label == org_a.user(Role.SUPERVISOR).get_username()
    assert second.note == "Fewer questions"
    with tenant_context(org_a.organization):
        row = selectors.script_rows(selectors.org_zone(org_a.organization))[0]
    assert row.approved == second and row.draft is None


def test_approval_is_in_the_audit_trail_with_its_actor(org_a, actor):
    # Catches approval written outside audited(actor): the trail would not say who.
    script = _create(org_a, actor)
    with tenant_context(org_a.organization):
        version = services.version_approve(actor=actor, version=_draft(script))
        events = Events.objects.references(version).filter(pgh_label="update")
        assert [e.pgh_context["actor"] for e in events] == [
            org_a.user(Role.SUPERVISOR).get_username()
        ]


def test_an_approved_definition_never_changes(org_a, actor):
    # Catches edits reaching the version agents are working from.
    script = _create(org_a, actor)
    with tenant_context(org_a.organization):
        version = services.version_approve(actor=actor, version=_draft(script))
        changed = copy.deepcopy(SMALL_DEFINITION)
        changed["read_aloud"]["greeting"] = "Hello"
        with pytest.raises(services.VersionFrozen):
            services.version_definition_set(actor=actor, version=version, definition=changed)
        with pytest.raises(services.VersionFrozen):
            services.version_approve(actor=actor, version=version)
        version.refresh_from_db()
    assert version.definition["read_aloud"]["greeting"] == "Thank you for calling."


def test_a_script_has_one_draft(org_a, actor):
    # Catches "New draft" twice making two drafts (or a second one past the constraint).
    script = _create(org_a, actor)
    with tenant_context(org_a.organization):
        first = services.draft_start(actor=actor, script=script)
        again = services.draft_start(actor=actor, script=script)
        assert first == again
        with pytest.raises(IntegrityError), transaction.atomic():
            ScriptVersion.objects.create(script=script, number=9, definition=SMALL_DEFINITION)
        assert ScriptVersion.objects.filter(script=script, status="draft").count() == 1


def test_a_looping_script_cannot_be_approved(org_a, actor):
    # Catches approval of conditions that can never be met (the agent would never see them).
    script = _create(org_a, actor, definition=_looping())
    with tenant_context(org_a.organization):
        draft = _draft(script)
        with pytest.raises(services.ApprovalRefused) as error:
            services.version_approve(actor=actor, version=draft)
        draft.refresh_from_db()
    assert any("loop" in problem for problem in error.value.problems)
    assert draft.status == VersionStatus.DRAFT and draft.approved_at is None


def test_a_long_note_is_refused(org_a, actor):
    script = _create(org_a, actor)
    with tenant_context(org_a.organization):
        draft = _draft(script)
        with pytest.raises(ValidationError) as error:
            services.version_approve(actor=actor, version=draft, note="x" * 201)
        draft.refresh_from_db()
    assert "note" in error.value.message_dict
    assert draft.status == VersionStatus.DRAFT


def test_retiring_takes_the_script_from_agents(org_a, actor):
    script = _create(org_a, actor)
    with tenant_context(org_a.organization):
        version = services.version_approve(actor=actor, version=_draft(script))
        assert selectors.approved_versions_for(None) == [version]
        services.version_retire(actor=actor, version=version)
        assert selectors.approved_versions_for(None) == []
        with pytest.raises(services.VersionFrozen):
            services.version_retire(actor=actor, version=version)


def test_agents_see_approved_versions_of_their_location_only(org_a, org_b, actor):
    # Catches a location-limited script offered everywhere, or drafts offered to agents.
    north, south = location(org_a, name="North"), location(org_a, name="South")
    everywhere = _create(org_a, actor, name="Everywhere")
    north_only = _create(org_a, actor, name="North only", locations=[north])
    _create(org_a, actor, name="Draft only")
    _create(org_b, org_b.tenant(), name="Foreign")
    with tenant_context(org_a.organization):
        for script in (everywhere, north_only):
            services.version_approve(actor=actor, version=_draft(script))
        names = {
            "north": [v.script.name for v in selectors.approved_versions_for(north)],
            "south": [v.script.name for v in selectors.approved_versions_for(south)],
            "none": [v.script.name for v in selectors.approved_versions_for(None)],
        }
        services.script_update(actor=actor, script=north_only, locations=[])
        widened = [v.script.name for v in selectors.approved_versions_for(south)]
    assert names == {
        "north": ["Everywhere", "North only"],
        "south": ["Everywhere"],
        "none": ["Everywhere"],
    }
    assert widened == ["Everywhere", "North only"]


def test_builder_edits_move_fields_across_sections():
    doc = services.with_section_added(copy.deepcopy(SMALL_DEFINITION), "Next steps")
    doc = services.with_field_moved(doc, "injuries", 1)
    assert [f["id"] for f in doc["sections"][1]["fields"]] == ["injuries"]
    doc = services.with_field_moved(doc, "injuries", -1)
    assert services.field_ids(doc) == ["full_name", "reason", "injured", "injuries"]
    assert doc["sections"][1]["fields"] == []
    doc = services.with_field_added(doc, "next_steps", {"type": "yes_no", "label": "Full name"})
    assert services.field_ids(doc)[-1] == "full_name_2"
