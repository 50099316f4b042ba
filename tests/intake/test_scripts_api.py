"""Scripts API: shapes refused before any lookup, definition problems listed, approval
refused with its problems, foreign scripts 404. Each test names the regression it catches."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Script, ScriptVersion, VersionStatus
from intake.services import scripts as services
from tenancy import services as tenancy_services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.intake.worlds import SMALL_DEFINITION, location

pytestmark = pytest.mark.django_db


def api(world: Any, role: Role = Role.SUPERVISOR) -> Client:
    with tenant_context(world.organization):
        _, raw = tenancy_services.api_key_create(actor=world.tenant(), name=f"{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def _draft(script: Script) -> ScriptVersion:
    draft = services.draft_of(script)
    assert draft is not None
    return draft


@pytest.fixture
def script(org_a) -> Script:
    with tenant_context(org_a.organization):
        return services.script_create(
            actor=org_a.tenant(), name="Intake", definition=SMALL_DEFINITION
        )


def test_create_from_a_template_with_locations(org_a):
    north = location(org_a, name="North")
    response = send(
        api(org_a),
        "POST",
        reverse("api-intake-scripts"),
        {"name": "Plumbing", "template": "home_services", "location_ids": [north.pk]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "home_services" and body["location_ids"] == [north.pk]
    assert body["draft_version"] == 1 and body["approved_version"] is None
    assert [v["status"] for v in body["versions"]] == ["draft"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": 5}, "name"),
        ({"name": "A", "location_ids": "1"}, "location_ids"),
        ({"name": "A", "location_ids": [True]}, "location_ids.0"),
        ({"name": "A", "location_ids": [0]}, "location_ids.0"),
        ({"name": "A", "location_ids": [2**70]}, "location_ids.0"),
        ({"name": "A", "template": "astrology"}, "template"),
        ({"name": "A", "kind": 3}, "kind"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_shapes_are_refused_by_field(org_a, body, field):
    # Catches coercion (5 → "5", true → 1) and huge ids reaching the database as 500s.
    response = send(api(org_a), "POST", reverse("api-intake-scripts"), body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    with tenant_context(org_a.organization):
        assert not Script.objects.exists()


def test_a_foreign_location_is_refused_like_a_missing_one(org_a, org_b):
    theirs = location(org_b, name="Theirs")
    response = send(
        api(org_a),
        "POST",
        reverse("api-intake-scripts"),
        {"name": "A", "location_ids": [theirs.pk]},
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["location_ids"] == [
        f"No location with id {theirs.pk}."
    ]


def test_a_duplicate_name_is_a_400(org_a, script):
    response = send(api(org_a), "POST", reverse("api-intake-scripts"), {"name": "intake"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"name": [services.NAME_TAKEN]}


def test_a_bad_definition_lists_its_problems_and_saves_nothing(org_a, script):
    with tenant_context(org_a.organization):
        before = _draft(script).definition
    bad = copy.deepcopy(SMALL_DEFINITION)
    bad["sections"][0]["fields"][0]["type"] = "colour"
    bad["sections"][0]["fields"][2]["validation"] = {"pattern": "("}
    url = reverse("api-intake-script-draft", args=[script.pk])
    response = send(api(org_a), "PUT", url, {"definition": bad})
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert len(problems) == 2 and "colour" in problems[0]
    assert response.json()["error"]["fields"]["definition"] == problems
    with tenant_context(org_a.organization):
        assert _draft(script).definition == before
    for body in ({"definition": "text"}, {}, {"definition": None}):
        assert send(api(org_a), "PUT", url, body).status_code == 400


def test_draft_round_trip_and_approval(org_a, script):
    client = api(org_a)
    url = reverse("api-intake-script-draft", args=[script.pk])
    doc = copy.deepcopy(SMALL_DEFINITION)
    doc["read_aloud"]["greeting"] = "Hello."
    assert send(client, "PUT", url, {"definition": doc}).status_code == 200
    draft = client.get(url).json()
    assert draft["definition"]["read_aloud"]["greeting"] == "Hello." and draft["problems"] == []
    response = send(
        client, "POST", reverse("api-intake-script-approve", args=[script.pk]), {"note": "Go"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved" and response.json()["note"] == "Go"
    version = client.get(reverse("api-intake-script-version", args=[response.json()["id"]]))
    assert version.json()["definition"]["read_aloud"]["greeting"] == "Hello."
    assert client.get(url).json()["number"] is None
    # Nothing left to approve; a PUT starts version 2.
    assert (
        send(client, "POST", reverse("api-intake-script-approve", args=[script.pk]), {}).status_code
        == 409
    )
    assert send(client, "PUT", url, {"definition": doc}).json()["number"] == 2
    retired = send(client, "POST", reverse("api-intake-script-retire", args=[script.pk]))
    assert retired.status_code == 200 and retired.json()["status"] == "retired"


def test_approval_is_refused_with_problems(org_a, script):
    client = api(org_a)
    doc = copy.deepcopy(SMALL_DEFINITION)
    doc["sections"][0]["fields"][3]["condition"] = {"field": "missing", "answered": True}
    send(client, "PUT", reverse("api-intake-script-draft", args=[script.pk]), {"definition": doc})
    response = send(client, "POST", reverse("api-intake-script-approve", args=[script.pk]), {})
    assert response.status_code == 400
    assert "'missing', which is not a field of the script" in response.json()["problems"][0]
    long_note = send(
        client, "POST", reverse("api-intake-script-approve", args=[script.pk]), {"note": "x" * 201}
    )
    assert long_note.status_code == 400 and "note" in long_note.json()["error"]["fields"]
    with tenant_context(org_a.organization):
        assert not ScriptVersion.objects.filter(status=VersionStatus.APPROVED).exists()


def test_patch_renames_and_limits(org_a, script):
    north = location(org_a, name="North")
    url = reverse("api-intake-script", args=[script.pk])
    response = send(
        api(org_a), "PATCH", url, {"name": "Renamed", "location_ids": [north.pk, north.pk]}
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["location_ids"]) == ("Renamed", [north.pk])
    assert send(api(org_a), "PATCH", url, {"location_ids": []}).json()["location_ids"] == []


def test_foreign_scripts_are_404_for_every_role(org_a, org_b, script):
    with tenant_context(org_b.organization):
        theirs = services.script_create(actor=org_b.tenant(), name="Theirs")
        version = _draft(theirs)
    for role in (Role.OWNER, Role.AGENT, Role.LEADERSHIP):
        client = api(org_a, role)
        assert client.get(reverse("api-intake-script", args=[theirs.pk])).status_code == 404
        assert (
            client.get(reverse("api-intake-script-version", args=[version.pk])).status_code == 404
        )
        assert (
            send(client, "POST", reverse("api-intake-script-approve", args=[theirs.pk])).status_code
            == 404
        )


def test_agents_read_but_do_not_write(org_a, script):
    agent = api(org_a, Role.AGENT)
    assert agent.get(reverse("api-intake-scripts")).status_code == 200
    url = reverse("api-intake-script-draft", args=[script.pk])
    assert send(agent, "PUT", url, {"definition": SMALL_DEFINITION}).status_code == 403
