"""The API's edges every app shares through the access kit (issue 9, item 6): OPTIONS, deep
JSON, page sizes, and JSON types on writes."""

from __future__ import annotations

import pytest

from tenancy.roles import Role
from tests.routing.test_api import BASE, api, keys  # noqa: F401  (keys is a fixture)

pytestmark = pytest.mark.django_db


def test_options_on_detail_endpoints_answers_the_allowed_methods(routing_a, keys):  # noqa: F811
    # Catches DRF's metadata answering OPTIONS by building serializers outside the handler,
    # a 500 on the routing detail endpoints (draft, emergency, presence, agents).
    client = api(keys, Role.OWNER)
    location_id = routing_a.location.pk
    member_id = routing_a.world.members[Role.AGENT].pk
    for path, method in [
        (f"{BASE}/locations/{location_id}/draft/", "PUT"),
        (f"{BASE}/locations/{location_id}/emergency/", "DELETE"),
        (f"{BASE}/presence/{member_id}/", "PUT"),
        (f"{BASE}/agents/{member_id}/", "PUT"),
    ]:
        response = client.options(path)
        assert response.status_code == 200, (path, response.content)
        assert method in response["Allow"]


def test_a_body_nested_thousands_deep_is_a_400_in_the_error_shape(routing_a, keys):  # noqa: F811
    # Catches RecursionError escaping the JSON parser (DRF turns only ValueError into a
    # 400): a body nested 2,000 deep was a 500.
    client = api(keys, Role.OWNER)
    body = "[" * 2000 + "]" * 2000
    response = client.put(
        f"{BASE}/locations/{routing_a.location.pk}/draft/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("page_size", ["null", "0", "abc", "201", "²"])
def test_a_page_size_that_is_not_a_whole_number_in_range_is_a_400(routing_a, keys, page_size):  # noqa: F811
    # Catches DRF's fallback to the default page size on anything it cannot read:
    # page_size=null answered 200, against the schema (an integer from 1 to 200).
    response = api(keys, Role.OWNER).get("/api/v1/locations/", {"page_size": page_size})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["page_size"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Uptown", "time_zone": "UTC", "address": 0}, "address"),
        ({"name": 5, "time_zone": "UTC"}, "name"),
    ],
)
def test_a_number_where_a_string_is_required_is_refused(routing_a, keys, body, field):  # noqa: F811
    # Catches DRF's coercion on writes: 0 was stored as the address "0".
    response = api(keys, Role.OWNER).post(
        "/api/v1/locations/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


@pytest.mark.parametrize("value", [0, 1, "false", "true", "no"])
def test_only_true_or_false_is_a_boolean(routing_a, keys, value):  # noqa: F811
    # Catches 0 accepted as false: PATCH {"is_active": 0} deactivated a location.
    client = api(keys, Role.OWNER)
    path = f"/api/v1/locations/{routing_a.location.pk}/"
    response = client.patch(path, {"is_active": value}, content_type="application/json")
    assert response.status_code == 400
    assert client.get(path).json()["is_active"] is True


def test_a_string_where_an_integer_is_required_is_refused(routing_a, keys):  # noqa: F811
    # Catches "5" read as 5 in a nested body: the routing rules' ring timeout.
    client = api(keys, Role.OWNER)
    path = f"{BASE}/locations/{routing_a.location.pk}/draft/"
    rules = client.get(path).json()["rules"]
    rules["tiers"] = [
        {
            "kind": "number",
            "number": "+12125550111",
            "strategy": "simultaneous",
            "ring_timeout_seconds": "20",
            "move_on": ["no_answer"],
        }
    ]
    response = client.put(path, {"rules": rules}, content_type="application/json")
    assert response.status_code == 400
    assert "rules.tiers.0.ring_timeout_seconds" in response.json()["error"]["fields"]
