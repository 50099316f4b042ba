"""Property-based tests of the whole ``/api/v1/`` API against its own OpenAPI schema.

Schemathesis generates valid and invalid requests for every operation the schema lists (new
endpoints are included automatically) and sends them in-process to the WSGI application,
authenticated with an owner API key of org_a, while org_b holds rows of its own. No answer
may be a 5xx, and every answer must match the documented status codes, content types and
response schemas (the one error shape included).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi import checks as openapi_checks

from coverage_platform.wsgi import application
from foundation.phones import MESSAGES, Problem
from tenancy import services
from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.routing.worlds import published_version_id

pytestmark = pytest.mark.django_db

# Every check schemathesis has (importing its OpenAPI checks registers them all), with one
# of them narrowed: positive_data_acceptance ("a schema-valid request is accepted") allows
# the few refusals that depend on stored data, which no schema can state, each recognised
# by its field and message, and the numbering plan's verdict on a phone number. Everything
# else a schema-valid request meets must be accepted.
assert openapi_checks
# (field, words of the message): each with what no schema can state.
STORED_DATA_REFUSALS: tuple[tuple[str, str], ...] = (
    ("cursor", "This cursor is not valid"),  # a cursor names a position in stored rows
    ("name", "already has this name"),  # unique among the organisation's rows
    ("name", "of that name exists"),
    ("location_id", "No such"),  # ids of the organisation's own objects
    ("location_ids", "No location with id"),
    ("script_version_id", "No such script version"),
    ("call_id", "No such call"),
    ("scorecard_id", "no active scorecard"),
    ("scorecard_id", "No such scorecard"),
    # A script definition's shape is parse_definition's (tests/intake/test_definition.py):
    # the schema says "an object", the document's own rules are too rich to restate there.
    ("definition", ""),
    # DRF trims whitespace (Python's idea of it, wider than a pattern's) before it checks
    # that a text is not blank: a text of only such characters is refused.
    ("", "may not be blank"),
    ("", "Null characters are not allowed"),  # PostgreSQL's text holds no NUL
    ("", "control characters"),  # nor are other control characters stored in a text
    # One of two ids, not both (OpenAPI's oneOf could say it; the generator cannot).
    ("non_field_errors", "not both"),
    ("template", "not both"),
    # A recipient's address is an email address or an https URL, as its kind says.
    ("address", ""),
    # A CSV file's header and rows (tests/intake/test_parties.py).
    ("rows", ""),
    ("email", "already a member"),  # the person's membership exists
    ("members", "not found"),  # ids of the organisation's own members
    ("source", "Nothing is published yet"),  # whether a version exists
    ("until", "must be in the future"),  # the clock
    ("until", "lasts at most 30 days"),  # the clock
    # A date-time's range, which OpenAPI 3.0 has no keyword for (minimum is for numbers).
    ("at", "between 2000 and 2100"),
    # A routing document's cross-field rules (a forward needs a number, open hours need a
    # tier: routing/document), tested in tests/routing/test_document.py; the schema
    # states each field's own shape.
    ("rules.", ""),
)
# And, in any phone field, the numbering plan's verdict, which no pattern can state (the
# schema states the characters and the length: foundation/phones.py).
NUMBERING_PLAN_REFUSALS = (
    MESSAGES[Problem.INVALID].split(",")[0],
    MESSAGES[Problem.NO_COUNTRY_CODE].split(",")[0],
)


def _allowed(field: str, message: str) -> bool:
    for name, words in STORED_DATA_REFUSALS:
        matches = field.startswith(name) if name.endswith(".") or not name else field == name
        if matches and words in message:
            return True
    return message.startswith(NUMBERING_PLAN_REFUSALS)


def _refused_only_for_stored_data(response: Any) -> bool:
    if response.status_code != 400:
        return False
    try:
        fields = response.json()["error"]["fields"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(fields) and all(
        all(_allowed(name, message) for message in messages) for name, messages in fields.items()
    )


def positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    try:
        return cast(bool | None, openapi_checks.positive_data_acceptance(ctx, response, case))
    except RejectedPositiveData:
        if _refused_only_for_stored_data(response):
            return None
        raise


CHECKS = [
    positive_data_acceptance
    if getattr(check, "__name__", "") == "positive_data_acceptance"
    else check
    for check in CHECK_REGISTRY.get_all()
]
assert positive_data_acceptance in CHECKS
# Fuzzing examples per operation (the examples and coverage phases add their own bounded
# cases); 6 keeps the 70-odd operations inside CI's time (the coverage phase still sends
# every boundary and every kind of wrong value).
MAX_EXAMPLES = 6


@dataclass(frozen=True)
class Seeded:
    """org_a's API key, and one object id per resource in each organisation."""

    owner_key: str
    own: dict[str, int]
    foreign: dict[str, int]


def _seed(world: OrgWorld, prefix: str) -> dict[str, int]:
    actor = world.tenant()
    with tenant_context(world.organization):
        for n in range(3):
            location = services.location_create(
                actor=actor, name=f"{prefix} location {n}", time_zone="UTC"
            )
        team = services.team_create(actor=actor, name=f"{prefix} team")
        memberships = [cast(Membership, world.members[role]) for role in (Role.AGENT, Role.QA)]
        services.team_set_members(actor=actor, team=team, memberships=memberships)
    return {
        "locations": location.pk,
        "teams": team.pk,
        "members": memberships[0].pk,
        "versions": published_version_id(world),
    }


# Under /api/v1/routing/, a path parameter's name → the seeded object it names; elsewhere
# ``id`` names the resource of the path's first segment (``/api/v1/teams/{id}/``).
PARAMETER_OBJECTS = {
    "location_id": "locations",
    "membership_id": "members",
    "version_id": "versions",
}


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    # The WSGI handler closes the database connection at the end of each request, which
    # would end the test's transaction; Django's test client disconnects the same signal.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(org_a: OrgWorld, org_b: OrgWorld) -> Seeded:
    own = _seed(org_a, "Acme")
    foreign = _seed(org_b, "Globex")
    with tenant_context(org_a.organization):
        _, raw_key = services.api_key_create(actor=org_a.tenant(), name="fuzz", role=Role.OWNER)
    return Seeded(owner_key=raw_key, own=own, foreign=foreign)


def _resource(first_segment: str, parameter: str) -> str:
    if parameter == "id":
        return first_segment
    return PARAMETER_OBJECTS.get(parameter, "") if first_segment == "routing" else ""


def _aim_at_seeded_object(case: Any, seeded: Seeded) -> bool:
    """Point generated object ids at real objects: org_b's for one case in three, org_a's
    otherwise. Random ids almost never exist, so bodies would only ever meet 404s; ids that
    are not positive numbers (negative and boundary cases) are left alone. Returns whether
    the ids are org_b's."""
    path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if path is not None and not path.mode.is_positive:
        return False  # a schema-violating id stays one: the case expects a refusal
    first_segment = case.path.removeprefix("/api/v1/").split("/", 1)[0]
    aimed: dict[str, str] = {}
    foreign = False
    for name, drawn in (case.path_parameters or {}).items():
        resource = _resource(first_segment, name)
        if isinstance(drawn, str) and drawn.isascii() and drawn.isdigit() and len(drawn) < 10:
            drawn = int(drawn)  # The coverage phase sends ids as strings, "1" most often.
        if resource in seeded.own and type(drawn) is int and drawn >= 1:
            aimed[name] = resource
            foreign = foreign or drawn % 3 == 0
    objects = seeded.foreign if foreign else seeded.own
    for name, resource in aimed.items():
        case.path_parameters[name] = objects[resource]
    return foreign and bool(aimed)


# Loaded from the application's own /api/schema/ at collection time (the schema endpoint
# touches no database), so every operation becomes its own test with fresh fixtures.
# schemathesis.pytest.from_fixture would load it inside a test instead, but it does not work
# with pytest 9 (it writes Function._nodeid, which pytest no longer has).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    application,
    config=schemathesis.Config.from_dict(
        {
            "seed": 20240601,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none", "mode": "all"},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
    headers={"Accept": "application/json"},
).include(path_regex=r"^/api/v1/")


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case: Any, seeded: Seeded) -> None:
    # Catches 500s on unexpected input (bad ids, NUL bytes, huge numbers, wrong types),
    # answers the schema does not document (an undocumented status code, an error outside
    # the error shape, a field missing from a response), and any answer but 404 for an id of
    # the other organisation, whatever the method and body.
    foreign = _aim_at_seeded_object(case, seeded)
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {seeded.owner_key}"}, checks=CHECKS
    )
    if foreign:
        assert response.status_code == 404, (case.method, case.path, response.text)
