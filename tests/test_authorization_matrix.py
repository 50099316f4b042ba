"""The authorization matrix: every URL pattern × every role × own/foreign object.

For each route it states, independently of the code, which roles may use each method on
their own organisation. A member whose role lacks it gets 403; anyone reaching for another
organisation (its slug, or its object's id under their own slug or API key) gets 404,
whatever their role — never 403 or 200. A route missing from this file fails
``test_every_route_is_in_the_matrix``: adding an endpoint means deciding who may use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from scheduling.services import schedule_work
from telephony.gateway.results import RETRY_OUTBOUND
from tenancy import services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.authorization import ALL, MANAGERS, OWNER, Route
from tests.conftest import OrgWorld
from tests.factories import LocationFactory, MembershipFactory, TeamFactory
from tests.routing.worlds import published_version_id

pytestmark = pytest.mark.django_db

MEMBER_VIEWERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP})
ROUTING_VIEWERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP})
PRESENCE = frozenset({Role.OWNER, Role.SUPERVISOR, Role.AGENT})


BROWSER: dict[str, Route] = {
    "org-home": Route({"GET": ALL}),
    "members": Route({"GET": MEMBER_VIEWERS}),
    "member-invite": Route({"POST": OWNER}),
    "member-role": Route({"POST": OWNER}, {"membership_id": "membership"}),
    "member-active": Route({"POST": OWNER}, {"membership_id": "membership"}),
    "locations": Route({"GET": ALL}),
    "location-create": Route({"GET": MANAGERS, "POST": MANAGERS}),
    "location-edit": Route({"GET": MANAGERS, "POST": MANAGERS}, {"location_id": "location"}),
    "teams": Route({"GET": MANAGERS}),
    "team-create": Route({"GET": MANAGERS, "POST": MANAGERS}),
    "team-edit": Route({"GET": MANAGERS, "POST": MANAGERS}, {"team_id": "team"}),
    "team-members": Route({"POST": MANAGERS}, {"team_id": "team"}),
    "api-keys": Route({"GET": OWNER}),
    "api-key-create": Route({"GET": OWNER, "POST": OWNER}),
    "api-key-revoke": Route({"POST": OWNER}, {"key_id": "api_key"}),
    "org-settings": Route({"GET": OWNER, "POST": OWNER}),
    "audit": Route({"GET": MANAGERS}),
    "scheduled-work": Route({"GET": MANAGERS}),
    "scheduled-work-replay": Route({"POST": MANAGERS}, {"work_id": "due_work"}),
}

API: dict[str, Route] = {
    "api-organization": Route({"GET": ALL, "PATCH": OWNER}),
    "api-location-list": Route({"GET": ALL, "POST": MANAGERS}),
    "api-location-detail": Route({"GET": ALL, "PATCH": MANAGERS}, {"pk": "location"}),
    "api-member-list": Route({"GET": MEMBER_VIEWERS, "POST": OWNER}),
    "api-member-detail": Route({"GET": MEMBER_VIEWERS, "PATCH": OWNER}, {"pk": "membership"}),
    "api-team-list": Route({"GET": ALL, "POST": MANAGERS}),
    "api-team-detail": Route({"GET": ALL, "PATCH": MANAGERS, "DELETE": MANAGERS}, {"pk": "team"}),
}

ROUTING_LOCATION = {"location_id": "location"}
ROUTING_INDEX = {**ROUTING_LOCATION, "index": "zero"}
ROUTING_VERSION = {"version_id": "routing_version"}

BROWSER.update(
    {
        "routing": Route({"GET": ROUTING_VIEWERS}),
        "routing-presence": Route({"GET": PRESENCE, "POST": PRESENCE}),
        "routing-agents": Route({"GET": MANAGERS}),
        "routing-agent-edit": Route({"POST": MANAGERS}, {"membership_id": "membership"}),
        "routing-notifications": Route({"GET": ROUTING_VIEWERS}),
        "routing-notifications-read": Route({"POST": ROUTING_VIEWERS}),
        "routing-location": Route({"GET": ROUTING_VIEWERS}, ROUTING_LOCATION),
        "routing-schedule": Route({"GET": MANAGERS}, ROUTING_LOCATION),
        "routing-period-add": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-break-add": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-period-delete": Route({"POST": MANAGERS}, ROUTING_INDEX),
        "routing-time-zone": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-tiers": Route({"GET": MANAGERS}, ROUTING_LOCATION),
        "routing-tier-add": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-tier-delete": Route({"POST": MANAGERS}, ROUTING_INDEX),
        "routing-tier-move": Route({"POST": MANAGERS}, ROUTING_INDEX),
        "routing-overflow": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-after-hours": Route({"GET": MANAGERS, "POST": MANAGERS}, ROUTING_LOCATION),
        "routing-holidays": Route({"GET": MANAGERS, "POST": MANAGERS}, ROUTING_LOCATION),
        "routing-closed-date-add": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-closed-date-delete": Route({"POST": MANAGERS}, ROUTING_INDEX),
        "routing-alerts": Route({"GET": MANAGERS, "POST": MANAGERS}, ROUTING_LOCATION),
        "routing-emergency": Route({"GET": MANAGERS, "POST": MANAGERS}, ROUTING_LOCATION),
        "routing-emergency-end": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-preview": Route(
            {"GET": ROUTING_VIEWERS, "POST": ROUTING_VIEWERS}, ROUTING_LOCATION
        ),
        "routing-publish": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-discard": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "routing-coverage": Route({"GET": ROUTING_VIEWERS}, ROUTING_LOCATION),
        "routing-versions": Route({"GET": ROUTING_VIEWERS}, ROUTING_LOCATION),
        "routing-version": Route({"GET": ROUTING_VIEWERS}, ROUTING_VERSION),
        "routing-version-restore": Route({"POST": MANAGERS}, ROUTING_VERSION),
    }
)

API.update(
    {
        "api-routing-locations": Route({"GET": ROUTING_VIEWERS}),
        "api-routing-draft": Route({"GET": ROUTING_VIEWERS, "PUT": MANAGERS}, ROUTING_LOCATION),
        "api-routing-publish": Route({"POST": MANAGERS}, ROUTING_LOCATION),
        "api-routing-versions": Route({"GET": ROUTING_VIEWERS}, ROUTING_LOCATION),
        "api-routing-preview": Route({"POST": ROUTING_VIEWERS}, ROUTING_LOCATION),
        "api-routing-coverage": Route({"GET": ROUTING_VIEWERS}, ROUTING_LOCATION),
        "api-routing-emergency": Route(
            {"GET": ROUTING_VIEWERS, "PUT": MANAGERS, "DELETE": MANAGERS}, ROUTING_LOCATION
        ),
        "api-routing-version": Route({"GET": ROUTING_VIEWERS}, ROUTING_VERSION),
        "api-routing-version-restore": Route({"POST": MANAGERS}, ROUTING_VERSION),
        "api-routing-presence": Route({"GET": ROUTING_VIEWERS}),
        # A member may set their own presence; an API key has no membership, so for keys
        # it takes the managers' capability.
        "api-routing-member-presence": Route(
            {"GET": MANAGERS, "PUT": MANAGERS}, {"membership_id": "membership"}
        ),
        "api-routing-agents": Route({"GET": MANAGERS}),
        "api-routing-agent": Route({"PUT": MANAGERS}, {"membership_id": "membership"}),
        "api-routing-notifications": Route({"GET": ROUTING_VIEWERS}),
        "api-routing-callbacks": Route({"GET": ROUTING_VIEWERS}),
    }
)

# Twilio's webhooks: no user and no API key; the tenant comes from the subaccount and the
# number, proven by the signature (tests/telephony). Here: unsigned is always refused.
WEBHOOKS: set[str] = {
    "telephony:voice-incoming",
    "telephony:voice-status",
    "telephony:voice-dial-action",
    "telephony:voice-queue-action",
    "telephony:voice-queue-wait",
    "telephony:voice-record-action",
    "telephony:voice-recording-status",
    "telephony:voice-transcription",
    "telephony:voice-callback-keypress",
    "telephony:sms-incoming",
    "telephony:sms-status",
}

# Routes outside any organisation, each with the reason it is not in the matrix.
PUBLIC: dict[str, str] = {
    "healthz": "probe, no data",
    "readyz": "probe, no data",
    "home": "redirects to the user's own organisation or lists them (tests/tenancy)",
    "login": "sign-in",
    "logout": "sign-out",
    "password_change": "the user's own password",
    "password_change_done": "the user's own password",
    "password_reset": "sign-in recovery",
    "password_reset_done": "sign-in recovery",
    "password_reset_confirm": "sign-in recovery",
    "password_reset_complete": "sign-in recovery",
    "api-schema": "the public OpenAPI description",
    "api-docs": "the public API documentation",
    "api-not-found": "answers 404 to every path (tests/tenancy/test_api.py)",
    "intake-handoff-ack": "a signed token names the organisation and the handoff; a bad or "
    "altered one is a 404 (tests/intake/test_handoffs.py)",
}
# Namespaces outside the matrix, with the reason.
PUBLIC_NAMESPACES: dict[str, str] = {
    "admin": "staff-only; registers no tenant model (test_admin_registers_no_tenant_model)",
}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or ''}", prefix + str(entry.pattern)


def all_routes() -> list[tuple[str, str]]:
    return list(_walk(get_resolver().url_patterns))


def test_every_route_is_in_the_matrix():
    # Catches a new endpoint that nobody decided the access rules of.
    uncovered = []
    for name, pattern in all_routes():
        namespace = name.split(":", 1)[0] if ":" in name else ""
        if namespace in PUBLIC_NAMESPACES:
            continue
        if not name.split(":")[-1]:
            uncovered.append(f"unnamed route {pattern!r}")
        elif not any(name in table for table in (BROWSER, API, WEBHOOKS, PUBLIC)):
            uncovered.append(f"{name} ({pattern})")
    assert uncovered == []


def test_the_matrix_names_only_existing_routes():
    names = {name for name, _ in all_routes()}
    assert set(BROWSER) - names == set()
    assert set(API) - names == set()
    assert WEBHOOKS - names == set()


def test_admin_registers_no_tenant_model():
    # Django admin is not tenant-aware: a tenant model there would be a cross-tenant window.
    from django.contrib import admin

    from tenancy.managers import TenantModel

    assert [m for m in admin.site._registry if issubclass(m, TenantModel)] == []


# Object makers: create an object of the kind in ``world``'s organisation, return its id.
def _membership(world: OrgWorld) -> int:
    # A member of its own, so that deactivating it does not lock out a role under test.
    with tenant_context(world.organization):
        return MembershipFactory.create(organization=world.organization, role=Role.AGENT).pk


def _location(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        return LocationFactory.create(organization=world.organization).pk


def _team(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        return TeamFactory.create(organization=world.organization).pk


def _api_key(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        api_key, _ = services.api_key_create(actor=world.tenant(), name="matrix")
    return api_key.pk


def _due_work(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        return schedule_work(
            kind=RETRY_OUTBOUND, idempotency_key=uuid.uuid4().hex, due_at=timezone.now()
        ).pk


OBJECT_MAKERS: dict[str, Callable[[OrgWorld], int]] = {
    "membership": _membership,
    "location": _location,
    "team": _team,
    "api_key": _api_key,
    "due_work": _due_work,
    "routing_version": published_version_id,
    # A position in a list (a period, a tier): the same number in both organisations.
    "zero": lambda world: 0,
}

# Apps with many areas keep one table per area beside their tests; gathered here so that
# the coverage checks above see every route.
for _area in ("workspace", "scripts", "cases", "quality", "setup"):
    _table = import_module(f"tests.intake.matrix_{_area}")
    BROWSER.update(_table.BROWSER)
    API.update(_table.API)
    OBJECT_MAKERS.update(_table.OBJECT_MAKERS)


def _objects(route: Route, world: OrgWorld) -> dict[str, int]:
    return {kwarg: OBJECT_MAKERS[kind](world) for kwarg, kind in route.objects.items()}


def _send(client: Client, method: str, url: str, **extra: Any) -> int:
    body = "{}" if method in {"POST", "PATCH", "PUT"} else None
    if body is None:
        response = client.generic(method, url, **extra)
    else:
        response = client.generic(
            method,
            url,
            body,
            content_type=extra.pop("content_type", "application/x-www-form-urlencoded"),
            **extra,
        )
    return response.status_code


@pytest.mark.parametrize("name", sorted(BROWSER))
def test_browser_route(name: str, org_a: OrgWorld, org_b: OrgWorld):
    route = BROWSER[name]
    own_objects = _objects(route, org_a)
    foreign_objects = _objects(route, org_b)
    own = reverse(name, kwargs={"org_slug": "acme", **own_objects})
    foreign_object = reverse(name, kwargs={"org_slug": "acme", **foreign_objects})
    foreign_org = reverse(name, kwargs={"org_slug": "globex", **foreign_objects})

    anonymous = Client()
    for method in route.methods:
        status = _send(anonymous, method, own)
        assert status in (302, 403), (name, method, "anonymous", status)

    failures = []
    for role in Role:
        client = Client()
        client.force_login(org_a.user(role))
        for method, allowed in route.methods.items():
            expected_own = "allowed" if role in allowed else 403
            status = _send(client, method, own)
            got = "allowed" if status not in (403, 404, 405) and status < 500 else status
            if got != expected_own:
                failures.append((method, role, "own", status))
            for label, url in (("foreign object", foreign_object), ("foreign org", foreign_org)):
                if url == own:
                    continue
                status = _send(client, method, url)
                if status != 404:
                    failures.append((method, role, label, status))
    assert failures == []


@pytest.fixture
def api_keys(org_a: OrgWorld) -> dict[Role, str]:
    keys = {}
    with tenant_context(org_a.organization):
        for role in Role:
            _, raw = services.api_key_create(actor=org_a.tenant(), name=f"{role} key", role=role)
            keys[role] = raw
    return keys


@pytest.mark.parametrize("name", sorted(API))
def test_api_route(name: str, org_a: OrgWorld, org_b: OrgWorld, api_keys: dict[Role, str]):
    route = API[name]
    own = reverse(name, kwargs=_objects(route, org_a))
    foreign = reverse(name, kwargs=_objects(route, org_b)) if route.objects else None

    def own_url(method: str) -> str:
        # A DELETE that succeeds consumes its object: each one gets a fresh one.
        return reverse(name, kwargs=_objects(route, org_a)) if method == "DELETE" else own

    for method in route.methods:
        assert _send(Client(), method, own, content_type="application/json") == 401

    failures = []
    for role in Role:
        client = Client(headers={"Authorization": f"Bearer {api_keys[role]}"})
        for method, allowed in route.methods.items():
            status = _send(client, method, own_url(method), content_type="application/json")
            got = "allowed" if status not in (401, 403, 404, 405) and status < 500 else status
            if got != ("allowed" if role in allowed else 403):
                failures.append((method, role, "own", status))
            if foreign is not None:
                status = _send(client, method, foreign, content_type="application/json")
                if status != 404:
                    failures.append((method, role, "foreign object", status))
    assert failures == []


@pytest.mark.parametrize("name", sorted(WEBHOOKS))
def test_webhook_refuses_unsigned_requests(name: str, org_a: OrgWorld, client: Client):
    # Catches a webhook that trusts its form fields without Twilio's signature: anyone could
    # then write calls and consent into any organisation.
    response = client.post(
        reverse(name),
        {"AccountSid": "AC" + "0" * 32, "CallSid": "CA" + "1" * 32, "To": "+12125550100"},
    )
    assert response.status_code == 403
