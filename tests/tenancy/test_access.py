"""The access kit (tenancy.access): one order of checks for every page and API view.

Objects named in the URL first (another organisation's or a missing one: 404 for every
role, even one without the capability), then the capability (403), then the method (405);
object ids through one converter, so a malformed or out-of-range id is a 404 like any
unknown path. Checked on real views of tenancy and routing and on tiny views of
tests/tenancy/access_urls.py, through the real middleware and row-level security. Also:
the navigation that apps declare for themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.converters import get_converters

import routing.navigation
import tenancy.navigation
from tenancy import services
from tenancy.access.converters import BIGINT_MAX, ObjectIdConverter
from tenancy.context import tenant_context
from tenancy.models import Location
from tenancy.navigation import collect_entries, declared_entries, navigation_for
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

KIT_URLS = "tests.tenancy.access_urls"
MALFORMED_IDS = ["0", "-1", "abc", "1e3", "01x", str(BIGINT_MAX + 1), "9" * 25]


def location_of(world: OrgWorld, name: str = "Main Office") -> Location:
    with tenant_context(world.organization):
        location: Location = LocationFactory.create(organization=world.organization, name=name)
    return location


def signed_in(world: OrgWorld, role: Role) -> Client:
    client = Client()
    client.force_login(world.user(role))
    return client


def with_key(world: OrgWorld, role: Role) -> Client:
    with tenant_context(world.organization):
        _, raw = services.api_key_create(actor=world.tenant(), name=f"{role} key", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def error_code(response: Any, status: int) -> str:
    """The error code, after checking the status and the API's one error shape."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return str(body["error"]["code"])


# The converter ---------------------------------------------------------------------------


def test_the_id_converter_refuses_everything_but_a_positive_bigint() -> None:
    # Catches a converter that lets 0 or a number past bigint reach the database (a 500).
    converter = ObjectIdConverter()
    assert converter.to_python("1") == 1
    assert converter.to_python(str(BIGINT_MAX)) == BIGINT_MAX
    for value in ("0", str(BIGINT_MAX + 1), "9" * 19):
        with pytest.raises(ValueError):
            converter.to_python(value)
    assert get_converters()["id"].__class__ is ObjectIdConverter


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        yield prefix + str(entry.pattern), entry.pattern
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))


def test_every_object_id_in_every_url_uses_the_one_converter() -> None:
    # Catches a new route taking an id through <int:…> (no bigint bound: a 500 on a huge
    # id) or through a converter of its own.
    offenders = []
    for route, pattern in _patterns(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue  # Django's admin: staff-only, its object ids are its own.
        for name, converter in getattr(pattern, "converters", {}).items():
            is_object_id = name == "pk" or name.endswith("_id")
            if is_object_id and not isinstance(converter, ObjectIdConverter):
                offenders.append(f"{route}: {name}")
    assert offenders == []


@pytest.mark.parametrize("bad", MALFORMED_IDS)
def test_malformed_ids_are_a_404_on_pages_and_in_the_api(org_a: OrgWorld, bad: str) -> None:
    # Catches ids past the bigint range reaching PostgreSQL (a 500) on any edge.
    page = signed_in(org_a, Role.OWNER)
    for path in (
        f"/o/acme/locations/{bad}/edit/",
        f"/o/acme/teams/{bad}/edit/",
        f"/o/acme/routing/locations/{bad}/",
        f"/o/acme/routing/versions/{bad}/",
    ):
        assert page.get(path).status_code == 404, path
    api = with_key(org_a, Role.OWNER)
    for path in (
        f"/api/v1/locations/{bad}/",
        f"/api/v1/members/{bad}/",
        f"/api/v1/routing/locations/{bad}/draft/",
        f"/api/v1/routing/agents/{bad}/",
    ):
        assert error_code(api.get(path), 404) == "not_found", path


def test_the_largest_id_is_a_plain_missing_object(org_a: OrgWorld) -> None:
    # The largest bigint matches the converter and reaches the lookup: a 404, not a 500.
    assert (
        signed_in(org_a, Role.OWNER).get(f"/o/acme/locations/{BIGINT_MAX}/edit/").status_code == 404
    )
    api = with_key(org_a, Role.OWNER)
    assert error_code(api.get(f"/api/v1/routing/locations/{BIGINT_MAX}/draft/"), 404) == "not_found"


# Pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_pages_answer_objects_first_then_capability_then_method(
    org_a: OrgWorld, org_b: OrgWorld, role: Role
) -> None:
    # Catches a page that checks the capability before the object (a 403 for another
    # organisation's id would tell it exists) or the method before the capability.
    own = location_of(org_a)
    foreign = location_of(org_b)
    client = signed_in(org_a, role)
    may_manage = role in {Role.OWNER, Role.SUPERVISOR}
    may_view_routing = role in {Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP}
    for name, kwargs, allowed in (
        ("location-edit", {"location_id": own.pk}, may_manage),
        ("routing-location", {"location_id": own.pk}, may_view_routing),
    ):
        foreign_url = reverse(name, kwargs={"org_slug": "acme", "location_id": foreign.pk})
        missing_url = reverse(name, kwargs={"org_slug": "acme", "location_id": BIGINT_MAX})
        own_url = reverse(name, kwargs={"org_slug": "acme", **kwargs})
        for method in ("get", "post", "put", "delete"):
            assert getattr(client, method)(foreign_url).status_code == 404, (name, method)
            assert getattr(client, method)(missing_url).status_code == 404, (name, method)
        assert client.get(own_url).status_code == (200 if allowed else 403), name
        assert client.put(own_url).status_code == (405 if allowed else 403), name


def test_a_page_receives_its_object_found_in_the_tenant(org_a: OrgWorld, org_b: OrgWorld) -> None:
    # Catches the decorator passing the raw id, or an object looked up outside the tenant.
    own = location_of(org_a, "Acme downtown")
    foreign = location_of(org_b, "Globex uptown")
    with override_settings(ROOT_URLCONF=KIT_URLS):
        owner = signed_in(org_a, Role.OWNER)
        response = owner.get(f"/o/acme/kit/locations/{own.pk}/")
        assert response.content.decode() == "Acme downtown"
        assert owner.get(f"/o/acme/kit/locations/{foreign.pk}/").status_code == 404
        # Without the capability: 403 for its own, still 404 for the foreign one.
        agent = signed_in(org_a, Role.AGENT)
        assert agent.get(f"/o/acme/kit/locations/{own.pk}/").status_code == 403
        assert agent.get(f"/o/acme/kit/locations/{foreign.pk}/").status_code == 404
        assert owner.post(f"/o/acme/kit/locations/{own.pk}/").status_code == 405
        # Another organisation's slug is a 404 before any view runs.
        assert owner.get(f"/o/globex/kit/locations/{foreign.pk}/").status_code == 404


def test_a_page_that_does_not_declare_its_url_object_is_refused(org_a: OrgWorld) -> None:
    # Catches a view receiving a bare id that it could forget to look up in the tenant.
    own = location_of(org_a)
    with override_settings(ROOT_URLCONF=KIT_URLS), pytest.raises(ImproperlyConfigured):
        signed_in(org_a, Role.OWNER).get(f"/o/acme/kit/forgetful/{own.pk}/")


# The API base ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_api_answers_objects_first_then_role_then_method_in_the_error_shape(
    org_a: OrgWorld, org_b: OrgWorld, role: Role
) -> None:
    # Catches an API view checking the role before the object, HEAD escaping GET's role,
    # or an error outside the one shape.
    own = location_of(org_a)
    foreign = location_of(org_b)
    client = with_key(org_a, role)
    may_view_routing = role in {Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP}
    for method in ("get", "put", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/routing/locations/{foreign.pk}/draft/")
        assert error_code(response, 404) == "not_found", method
    draft = f"/api/v1/routing/locations/{own.pk}/draft/"
    if may_view_routing:
        assert client.get(draft).status_code == 200
        assert client.head(draft).status_code == 200
    else:
        response = client.get(draft)
        assert error_code(response, 403) == "permission_denied"
        assert f"This caller's role is {role}." in response.json()["error"]["message"]
        assert client.head(draft).status_code == 403
    # A method the view does not answer needs routing's read capability: 405 only for the
    # roles that may see the draft at all.
    if may_view_routing:
        assert error_code(client.delete(draft), 405) == "method_not_allowed"
    else:
        assert error_code(client.delete(draft), 403) == "permission_denied"


def test_an_api_view_receives_its_object_found_in_the_tenant(
    org_a: OrgWorld, org_b: OrgWorld
) -> None:
    # Catches url_objects not being set on the view, or found outside the tenant.
    own = location_of(org_a, "Acme downtown")
    foreign = location_of(org_b, "Globex uptown")
    with override_settings(ROOT_URLCONF=KIT_URLS):
        owner = with_key(org_a, Role.OWNER)
        assert owner.get(f"/api/v1/kit/locations/{own.pk}/").json() == {"name": "Acme downtown"}
        assert error_code(owner.get(f"/api/v1/kit/locations/{foreign.pk}/"), 404) == "not_found"
        agent = with_key(org_a, Role.AGENT)
        assert error_code(agent.get(f"/api/v1/kit/locations/{own.pk}/"), 403) == (
            "permission_denied"
        )
        assert error_code(agent.get(f"/api/v1/kit/locations/{foreign.pk}/"), 404) == "not_found"
        # An undeclared id is a programming error: a 500 in the error shape, not a lookup.
        assert error_code(owner.get(f"/api/v1/kit/forgetful/{own.pk}/"), 500) == "server_error"


# Navigation ------------------------------------------------------------------------------


def _view_module(url_name: str) -> str:
    return resolve(reverse(url_name, kwargs={"org_slug": "acme"})).func.__module__


def test_each_app_declares_only_its_own_pages() -> None:
    # Catches tenancy naming another app's pages again (it sits below them all).
    assert {_view_module(e.url_name).split(".")[0] for e in tenancy.navigation.ENTRIES} == {
        "tenancy"
    }
    assert {_view_module(e.url_name).split(".")[0] for e in routing.navigation.ENTRIES} == {
        "routing"
    }
    declared = declared_entries()
    assert all(entry in declared for entry in routing.navigation.ENTRIES)


@pytest.mark.parametrize("role", list(Role))
def test_routing_entries_appear_only_for_roles_with_their_capability(
    org_a: OrgWorld, role: Role
) -> None:
    # Catches a link shown to a role that would get a 403 behind it, or hidden from one
    # that may use it.
    tenant = org_a.tenant(role)
    shown = {item.label for section in navigation_for(tenant, None) for item in section.items}
    for entry in routing.navigation.ENTRIES:
        assert (entry.label in shown) == tenant.can(entry.capability), entry.label


def test_an_app_adds_its_own_section_without_changing_tenancy(org_a: OrgWorld) -> None:
    # Catches a menu that only knows the apps it was written with: a new app (here one
    # that exists only in tests) adds a navigation module, and its section takes its place
    # between routing's and Administration.
    configs = [*apps.get_app_configs(), AppConfig.create("tests.tenancy.navapp")]
    entries = collect_entries(configs)
    with override_settings(ROOT_URLCONF=KIT_URLS):
        owner = navigation_for(org_a.tenant(Role.OWNER), "kit-reports", entries)
        agent = navigation_for(org_a.tenant(Role.AGENT), None, entries)
        page = signed_in(org_a, Role.OWNER).get("/o/acme/kit/reports/")
    assert [s.title for s in owner] == [
        "Organisation",
        "Coverage",
        "Calls and follow-up",
        "Reports",
        "Administration",
    ]
    reports = next(s for s in owner if s.title == "Reports")
    assert [(i.label, i.url, i.active) for i in reports.items] == [
        ("Reports", "/o/acme/kit/reports/", True)
    ]
    assert "Reports" not in [s.title for s in agent]
    assert page.status_code == 200


def test_two_apps_giving_one_section_different_places_is_refused() -> None:
    # Catches sections silently reordered by whichever app happened to load first.
    configs = [*apps.get_app_configs(), AppConfig.create("tests.tenancy.navapp_clash")]
    with pytest.raises(ImproperlyConfigured):
        collect_entries(configs)
