"""The routing API: roles per method, foreign objects as 404, field errors by path, and
the same engine behind the preview as behind calls."""

from __future__ import annotations

import pytest
from django.test import Client

from foundation.phones import Problem, phone_message
from routing import services
from routing.engine import Call, QueueState
from routing.models import RoutingVersion
from tenancy import services as tenancy_services
from tenancy.context import tenant_context
from tenancy.roles import Role

pytestmark = pytest.mark.django_db
BASE = "/api/v1/routing"
VIEWERS = {Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP}
MANAGERS = {Role.OWNER, Role.SUPERVISOR}


@pytest.fixture
def keys(routing_a):
    made = {}
    with tenant_context(routing_a.organization):
        for role in Role:
            _, raw = tenancy_services.api_key_create(
                actor=routing_a.tenant(Role.OWNER), name=f"{role} key", role=role
            )
            made[role] = raw
    return made


def api(keys, role=Role.SUPERVISOR):
    return Client(headers={"Authorization": f"Bearer {keys[role]}"})


def draft_rules(client, location_id):
    return client.get(f"{BASE}/locations/{location_id}/draft/").json()["rules"]


def put_rules(client, location_id, rules):
    return client.put(
        f"{BASE}/locations/{location_id}/draft/",
        {"rules": rules},
        content_type="application/json",
    )


def publishable(world, client):
    rules = draft_rules(client, world.location.pk)
    rules["tiers"] = world.tiers()
    assert put_rules(client, world.location.pk, rules).status_code == 200
    return rules


def test_unauthenticated_calls_are_401(routing_a):
    # Catches an endpoint reachable without credentials, or answering outside the error shape.
    response = Client().get(f"{BASE}/locations/{routing_a.location.pk}/draft/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", list(Role))
def test_roles_per_method(routing_a, keys, role):
    # Catches an endpoint whose role rules differ from the pages' (view vs manage).
    client = api(keys, role)
    loc = routing_a.location.pk
    cases = [
        ("get", f"{BASE}/locations/", VIEWERS),
        ("get", f"{BASE}/locations/{loc}/draft/", VIEWERS),
        ("put", f"{BASE}/locations/{loc}/draft/", MANAGERS),
        ("post", f"{BASE}/locations/{loc}/publish/", MANAGERS),
        ("get", f"{BASE}/locations/{loc}/versions/", VIEWERS),
        ("post", f"{BASE}/locations/{loc}/preview/", VIEWERS),
        ("get", f"{BASE}/locations/{loc}/coverage/", VIEWERS),
        ("get", f"{BASE}/locations/{loc}/emergency/", VIEWERS),
        ("delete", f"{BASE}/locations/{loc}/emergency/", MANAGERS),
        ("get", f"{BASE}/presence/", VIEWERS),
        ("get", f"{BASE}/agents/", MANAGERS),
        ("get", f"{BASE}/notifications/", VIEWERS),
        ("get", f"{BASE}/callbacks/", VIEWERS),
    ]
    for method, path, allowed in cases:
        response = getattr(client, method)(path, {}, content_type="application/json")
        if role in allowed:
            assert response.status_code not in (401, 403, 404, 405), (method, path)
            assert response.status_code < 500
        else:
            assert response.status_code == 403, (method, path, response.status_code)


@pytest.mark.parametrize("role", list(Role))
def test_foreign_objects_are_404_for_every_role(routing_a, routing_b, keys, role):
    # Catches an object lookup outside the caller's organisation, or a 403 that tells the id
    # exists.
    with tenant_context(routing_b.organization):
        services.draft_save(
            actor=routing_b.tenant(),
            location=routing_b.location,
            document={**services.routing_for(routing_b.location).draft, "tiers": routing_b.tiers()},
        )
        version = services.routing_publish(actor=routing_b.tenant(), location=routing_b.location)
    client = api(keys, role)
    foreign = routing_b.location.pk
    for method, path in (
        ("get", f"{BASE}/locations/{foreign}/draft/"),
        ("put", f"{BASE}/locations/{foreign}/draft/"),
        ("post", f"{BASE}/locations/{foreign}/publish/"),
        ("post", f"{BASE}/locations/{foreign}/preview/"),
        ("get", f"{BASE}/locations/{foreign}/coverage/"),
        ("put", f"{BASE}/locations/{foreign}/emergency/"),
        ("get", f"{BASE}/versions/{version.pk}/"),
        ("post", f"{BASE}/versions/{version.pk}/restore/"),
        ("put", f"{BASE}/presence/{routing_b.member(Role.AGENT).pk}/"),
        ("put", f"{BASE}/agents/{routing_b.member(Role.AGENT).pk}/"),
    ):
        response = getattr(client, method)(path, {}, content_type="application/json")
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "not_found"


def test_bad_rules_are_field_errors_by_path_and_nothing_is_saved(routing_a, keys):
    # Catches bad rules saved anyway, a 500, or errors not tied to the field path sent.
    client = api(keys)
    loc = routing_a.location.pk
    rules = draft_rules(client, loc)
    rules["time_zone"] = "Atlantis/Lost"
    rules["periods"].append({"day": 0, "start": "16:00", "end": "18:00"})
    rules["periods"].append({"day": 1, "start": "18:00", "end": "08:00"})
    rules["tiers"] = [{**routing_a.tiers()[0], "team_id": routing_a.empty_team.pk}]
    rules["overflow"]["target"] = {"kind": "location", "location_id": loc, "name": "", "number": ""}
    rules["holidays"]["closed_dates"] = [{"date": "1800-01-01", "label": "old"}]
    response = put_rules(client, loc, rules)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {
        "rules.time_zone",
        "rules.periods.5.start",
        "rules.periods.6.end",
        "rules.tiers.0.team_id",
        "rules.overflow.target.location_id",
        "rules.holidays.closed_dates.0.date",
    }
    assert draft_rules(client, loc)["time_zone"] == "America/New_York"


def test_zero_threshold_is_a_field_error(routing_a, keys):
    # Catches a threshold of 0 or less accepted (an overflow that fires on every call).
    client = api(keys)
    rules = draft_rules(client, routing_a.location.pk)
    rules["overflow"]["max_wait_seconds"] = 0
    rules["alerts"]["abandonment_percent"] = -5
    response = put_rules(client, routing_a.location.pk, rules)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {
        "rules.overflow.max_wait_seconds",
        "rules.alerts.abandonment_percent",
    }


def test_publish_without_tiers_is_refused_and_nothing_is_published(routing_a, keys):
    # Catches a publish that leaves open hours with nobody to ring.
    client = api(keys)
    response = client.post(
        f"{BASE}/locations/{routing_a.location.pk}/publish/", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "rules.tiers" in response.json()["error"]["fields"]
    with tenant_context(routing_a.organization):
        assert not RoutingVersion.objects.exists()


def test_publish_versions_restore_and_diff(routing_a, keys):
    # Catches versions that are not numbered, a diff that misses a change, a restore that rewrites
    # history.
    client = api(keys)
    loc = routing_a.location.pk
    rules = publishable(routing_a, client)
    first = client.post(
        f"{BASE}/locations/{loc}/publish/", {"note": "v1"}, content_type="application/json"
    )
    assert first.status_code == 201
    assert first.json()["number"] == 1
    rules["overflow"]["max_wait_seconds"] = 60
    put_rules(client, loc, rules)
    second = client.post(f"{BASE}/locations/{loc}/publish/", {}, content_type="application/json")
    detail = client.get(f"{BASE}/versions/{second.json()['id']}/").json()
    assert {"section": "Overflow", "text": "Overflow after waiting: 120 s → 60 s"} in (
        detail["changes"]
    )
    restored = client.post(f"{BASE}/versions/{first.json()['id']}/restore/")
    assert restored.status_code == 201
    assert restored.json()["restored_from_number"] == 1
    listing = client.get(f"{BASE}/locations/{loc}/versions/").json()
    assert [v["number"] for v in listing["results"]] == [3, 2, 1]


def test_preview_through_the_api_equals_the_call_decision(routing_a, keys):
    # Catches an API preview that runs different rules or code than calls.
    client = api(keys)
    loc = routing_a.location.pk
    publishable(routing_a, client)
    client.post(f"{BASE}/locations/{loc}/publish/", {}, content_type="application/json")
    at = "2026-06-02T10:00:00-04:00"
    response = client.post(
        f"{BASE}/locations/{loc}/preview/",
        {"at": at, "waiting": 2, "longest_wait_seconds": 30, "source": "published"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    with tenant_context(routing_a.organization):
        from datetime import datetime

        decision = services.decide_incoming_call(
            location=routing_a.location,
            call=Call(),
            queue_state=QueueState(2, 30),
            now=datetime.fromisoformat(at),
        )
    assert body["decision"] == decision.as_dict()
    assert body["twiml"].startswith("<?xml")


def test_preview_refuses_absurd_dates(routing_a, keys):
    # Catches a year-1 preview reaching the engine (a 500 from the holiday calendar).
    response = api(keys).post(
        f"{BASE}/locations/{routing_a.location.pk}/preview/",
        {"at": "0001-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "at" in response.json()["error"]["fields"]


def test_coverage_reports_168_cells(routing_a, keys):
    # Catches a grid with missing hours or days in the wrong order.
    response = api(keys).get(f"{BASE}/locations/{routing_a.location.pk}/coverage/")
    assert response.status_code == 200
    body = response.json()
    assert len(body["cells"]) == 168
    assert body["cells"][9] == {
        "day": 0,
        "hour": 9,
        "state": "voicemail",
        "label": "Voicemail",
        "open_minutes": 60,
    }  # no tiers yet: nobody to ring


@pytest.mark.clock  # "active" is judged against the wall clock
def test_emergency_closure_through_the_api(routing_a, keys):
    # Catches an emergency closure with no message or a past end accepted, or one that cannot be
    # ended.
    client = api(keys)
    path = f"{BASE}/locations/{routing_a.location.pk}/emergency/"
    bad = client.put(
        path, {"message": "", "until": "2020-01-01T00:00:00Z"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "message" in bad.json()["error"]["fields"]
    from datetime import UTC, datetime, timedelta

    until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    ok = client.put(path, {"message": "Flooded.", "until": until}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["active"] is True
    assert client.delete(path).json()["active"] is False


def test_presence_own_or_manager(routing_a, keys, client):
    # Catches agents setting each other's presence, or managers unable to set anyone's.
    agent = routing_a.member(Role.AGENT)
    supervisor_key = api(keys, Role.SUPERVISOR)
    response = supervisor_key.put(
        f"{BASE}/presence/{agent.pk}/", {"status": "available"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "available"
    agent_key = api(keys, Role.AGENT)
    response = agent_key.put(
        f"{BASE}/presence/{agent.pk}/", {"status": "busy"}, content_type="application/json"
    )
    assert response.status_code == 403  # an API key is nobody's own presence
    client.force_login(agent.user)
    client.get(f"/o/{routing_a.organization.slug}/routing/presence/")  # picks the organisation
    response = client.put(
        f"{BASE}/presence/{agent.pk}/", {"status": "on_break"}, content_type="application/json"
    )
    assert response.status_code == 200
    response = client.put(
        f"{BASE}/presence/{routing_a.member(Role.SUPERVISOR).pk}/",
        {"status": "busy"},
        content_type="application/json",
    )
    assert response.status_code == 403
    bad = supervisor_key.put(
        f"{BASE}/presence/{agent.pk}/", {"status": "asleep"}, content_type="application/json"
    )
    assert bad.status_code == 400


def test_agent_dial_target_through_the_api(routing_a, keys):
    # Catches dial targets stored in a form Twilio cannot dial.
    member = routing_a.member(Role.QA)
    client = api(keys)
    bad = client.put(
        f"{BASE}/agents/{member.pk}/", {"phone": "12"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "phone" in bad.json()["error"]["fields"]
    ok = client.put(
        f"{BASE}/agents/{member.pk}/", {"phone": "+1 212 555 0188"}, content_type="application/json"
    )
    assert ok.json()["phone"] == "+12125550188"


def test_agent_phone_through_the_api_speaks_the_shared_phone_messages(routing_a, keys):
    # Catches the API keeping its own phone messages (or a length limit of its own), and
    # national numbers read in another country than the organisation's.
    member = routing_a.member(Role.QA)
    path = f"{BASE}/agents/{member.pk}/"
    client = api(keys)
    for phone, problem in (("12", Problem.INVALID), ("9" * 10_000, Problem.TOO_LONG)):
        bad = client.put(path, {"phone": phone}, content_type="application/json")
        assert bad.status_code == 400
        assert bad.json()["error"]["fields"]["phone"] == [phone_message(problem, region="US")]
    ok = client.put(path, {"phone": "(212) 555-0188"}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["phone"] == "+12125550188"
