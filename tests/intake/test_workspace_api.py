"""The workspace API: strict shapes at the edge, autosave with a revision (409 when stale),
completion refused per field (and the draft kept), answers filtered by role with health reads
logged, a caller's history. Each test names the regression it catches."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Intake, IntakeStatus, SensitiveRead
from intake.services import answers as answer_service
from tenancy import services as tenancy_services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.intake.matrix_workspace import ringing_call
from tests.intake.test_workspace_services import RICH_DEFINITION, reload, rich_intake
from tests.intake.worlds import approved_script, location

pytestmark = pytest.mark.django_db


def api(world: OrgWorld, role: Role = Role.AGENT) -> Client:
    with tenant_context(world.organization):
        _, raw = tenancy_services.api_key_create(
            actor=world.tenant(), name=f"{role} key", role=role
        )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def send(client: Client, method: str, url: str, body: Any) -> Any:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def test_create_from_a_call_and_by_hand(org_a: OrgWorld):
    version = approved_script(org_a, name="Legal intake", definition=RICH_DEFINITION)
    call = ringing_call(org_a, e164="+13125550140")
    client = api(org_a)
    made = send(
        client,
        "POST",
        reverse("api-intake-create"),
        {"script_version_id": version.pk, "call_id": call.pk},
    )
    assert made.status_code == 201, made.content
    assert made.json()["caller_phone"] == "+13125550140"
    assert made.json()["location_id"] == call.location_id
    by_hand = send(
        client,
        "POST",
        reverse("api-intake-create"),
        {
            "script_version_id": version.pk,
            "location_id": location(org_a).pk,
            "channel": "email",
            "caller_phone": "(312) 555-0141",
        },
    )
    assert by_hand.status_code == 201
    assert (by_hand.json()["channel"], by_hand.json()["caller_phone"]) == ("email", "+13125550141")


def test_create_refuses_wrong_shapes_before_any_lookup(org_a: OrgWorld, org_b: OrgWorld):
    # Catches "5" taken for 5, a bad number stored, or another organisation's script used.
    foreign = approved_script(org_b, name="Theirs")
    client = api(org_a)
    url = reverse("api-intake-create")
    wrong = send(client, "POST", url, {"script_version_id": "5", "channel": 3})
    assert wrong.status_code == 400
    assert set(wrong.json()["error"]["fields"]) == {"script_version_id", "channel"}
    phone = send(client, "POST", url, {"script_version_id": foreign.pk, "caller_phone": "12"})
    assert set(phone.json()["error"]["fields"]) == {"caller_phone"}
    theirs = send(client, "POST", url, {"script_version_id": foreign.pk})
    assert theirs.status_code == 400
    assert set(theirs.json()["error"]["fields"]) == {"script_version_id"}
    with tenant_context(org_a.organization):
        assert not Intake.objects.exists()


def test_patch_autosaves_with_errors_per_field_and_409_when_stale(org_a: OrgWorld):
    intake = rich_intake(org_a)
    client = api(org_a)
    url = reverse("api-intake-detail", args=[intake.pk])
    saved = send(
        client,
        "PATCH",
        url,
        {"revision": 0, "answers": {"full_name": "Ann", "injured": True, "matter": "tax"}},
    )
    assert saved.status_code == 200, saved.content
    data = saved.json()
    assert data["revision"] == 1
    assert set(data["errors"]) == {"matter"}
    assert "injuries" in data["visible_fields"]
    stale = send(client, "PATCH", url, {"revision": 0, "answers": {"full_name": "Bob"}})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert answer_service.decode(reload(org_a, intake.pk).personal_answers) == {"full_name": "Ann"}
    shapes = send(client, "PATCH", url, {"revision": "1", "answers": []})
    assert set(shapes.json()["error"]["fields"]) == {"revision", "answers"}


def test_complete_refuses_per_field_keeps_the_draft_and_never_twice(org_a: OrgWorld):
    intake = rich_intake(org_a)
    client = api(org_a)
    url = reverse("api-intake-complete", args=[intake.pk])
    refused = send(
        client,
        "POST",
        url,
        {
            "disposition": "new_lead",
            "answers": {"injured": False, "injuries": "Broken arm", "matter": "tax"},
        },
    )
    assert refused.status_code == 400
    fields = refused.json()["error"]["fields"]
    assert set(fields) == {
        "next_step",
        "answers.full_name",
        "answers.matter",
        "answers.injuries",
    }
    stored = reload(org_a, intake.pk)
    assert stored.status == IntakeStatus.DRAFT
    assert answer_service.decode(stored.raw_answers)["injuries"] == "Broken arm"
    tampered = send(
        client,
        "POST",
        url,
        {"disposition": "spam", "script_version_id": intake.script_version_id + 7, "answers": {}},
    )
    assert set(tampered.json()["error"]["fields"]) == {"script_version_id"}
    done = send(
        client,
        "POST",
        url,
        {"disposition": "spam", "answers": {"full_name": "Ann", "matter": "family"}},
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "completed"
    twice = send(client, "POST", url, {"disposition": "complaint"})
    assert twice.status_code == 409
    assert reload(org_a, intake.pk).disposition == "spam"


def test_get_filters_answers_by_role_and_logs_health_reads(org_a: OrgWorld):
    intake = rich_intake(org_a)
    send(
        api(org_a),
        "PATCH",
        reverse("api-intake-detail", args=[intake.pk]),
        {"revision": 0, "answers": {"full_name": "Ann", "injured": True, "injuries": "Cut"}},
    )
    url = reverse("api-intake-detail", args=[intake.pk])
    qa = api(org_a, Role.QA).get(url).json()
    assert qa["answers"]["injuries"] == answer_service.HIDDEN
    with tenant_context(org_a.organization):
        assert not SensitiveRead.objects.exists()
    owner = api(org_a, Role.OWNER).get(url).json()
    assert owner["answers"]["injuries"] == "Cut"
    with tenant_context(org_a.organization):
        read = SensitiveRead.objects.get()
    assert (read.field_ids, read.via, read.reader_id) == (["injuries"], "api", None)
    assert read.reader_label.startswith("API key")


def test_caller_history_by_phone_in_the_body(org_a: OrgWorld, org_b: OrgWorld):
    ringing_call(org_a, e164="+13125550150")
    ringing_call(org_b, e164="+13125550150")
    rich_intake(org_a, caller_phone="+13125550150")
    response = send(
        api(org_a), "POST", reverse("api-intake-caller-history"), {"phone": "3125550150"}
    )
    assert response.status_code == 200
    data = response.json()
    assert len(data["calls"]) == 1  # not the other organisation's call
    assert len(data["intakes"]) == 1
    assert data["time_zone"] == "America/New_York"
    assert data["calls"][0]["when"].endswith(("EST", "EDT"))
    bad = send(api(org_a), "POST", reverse("api-intake-caller-history"), {"phone": 3125550150})
    assert bad.status_code == 400
