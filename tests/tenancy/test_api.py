"""The tenancy REST API: scoping, roles, validation, the error shape and pagination.

Every request goes through the real middleware, authentication and row-level security, with
org_b as the standing foreign tenant whose rows must never reach org_a's callers.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLResolver, get_resolver

from foundation.phones import Problem, phone_message
from tenancy import services
from tenancy.context import tenant_context
from tenancy.models import ApiKey, Location, Membership, Organization, Team
from tenancy.roles import Role
from tests.conftest import OrgWorld

pytestmark = pytest.mark.django_db

API = "/api/v1"


def make_key(world: OrgWorld, role: Role = Role.OWNER) -> str:
    with tenant_context(world.organization):
        _, raw_key = services.api_key_create(actor=world.tenant(), name=f"{role} key", role=role)
    return raw_key


def client_for(world: OrgWorld, role: Role = Role.OWNER) -> Client:
    return Client(headers={"Authorization": f"Bearer {make_key(world, role)}"})


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    if method == "get":
        return client.get(path)
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(path, data=data, content_type="application/json")


def error_of(response: Any, http_status: int) -> dict[str, Any]:
    """The response's error, after checking the one error shape and the status."""
    assert response.status_code == http_status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def location_in(world: OrgWorld, name: str = "Main office") -> Location:
    with tenant_context(world.organization):
        return services.location_create(
            actor=world.tenant(), name=name, time_zone="America/Chicago"
        )


def team_in(world: OrgWorld, name: str = "Front desk", members: tuple[Role, ...] = ()) -> Team:
    with tenant_context(world.organization):
        team = services.team_create(actor=world.tenant(), name=name)
        memberships = [cast(Membership, world.members[role]) for role in members]
        return services.team_set_members(actor=world.tenant(), team=team, memberships=memberships)


def count(world: OrgWorld, model: type[Any]) -> int:
    with tenant_context(world.organization):
        return int(model.objects.count())


@pytest.fixture
def owner_a(org_a: OrgWorld) -> Client:
    return client_for(org_a, Role.OWNER)


# Authentication


def test_no_credentials_is_401_in_the_error_shape(org_a):
    # Catches an API that lets anonymous callers in, or answers them with HTML.
    error = error_of(Client().get(f"{API}/locations/"), 401)
    assert error["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer cpk_abc_0123456789abcdefghijklmnop",
        "Bearer cpk_0_0123456789abcdefghijklmnop",
        "Bearer ",
    ],
)
def test_malformed_key_is_401(org_a, header):
    # Catches a malformed key falling through to anonymous access or crashing the parser.
    response = Client(headers={"Authorization": header}).get(f"{API}/locations/")
    assert error_of(response, 401)["code"] in {"authentication_failed", "not_authenticated"}


def test_wrong_secret_for_a_real_organisation_is_401(org_a):
    # Catches a key check that trusts the organisation id in the key without the secret.
    forged = f"cpk_{org_a.organization.pk}_{'x' * 43}"
    response = Client(headers={"Authorization": f"Bearer {forged}"}).get(f"{API}/locations/")
    assert error_of(response, 401)["code"] == "authentication_failed"


def test_key_relabelled_with_another_organisations_id_is_401(org_a, org_b):
    # Catches a lookup of the key outside the tenant it names: org_b's secret under org_a's
    # id must not authenticate as either organisation.
    raw = make_key(org_b)
    relabelled = raw.replace(f"cpk_{org_b.organization.pk}_", f"cpk_{org_a.organization.pk}_", 1)
    response = Client(headers={"Authorization": f"Bearer {relabelled}"}).get(f"{API}/locations/")
    error_of(response, 401)


def test_revoked_key_is_401(org_a):
    # Catches revocation that is recorded but not enforced.
    raw = make_key(org_a)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(f"{API}/organization/").status_code == 200
    with tenant_context(org_a.organization):
        for api_key in ApiKey.objects.all():
            services.api_key_revoke(actor=org_a.tenant(), api_key=api_key)
    assert error_of(client.get(f"{API}/organization/"), 401)["code"] == "authentication_failed"


def signed_in(world: OrgWorld, role: Role, **client_kwargs: Any) -> Client:
    client = Client(**client_kwargs)
    client.force_login(world.user(role))
    session = client.session
    session["organization_slug"] = world.organization.slug
    session.save()
    return client


def test_session_of_a_signed_in_member_works(org_a, org_b):
    # Catches the API accepting only keys, so the browser's own calls would fail, or a
    # session resolving to the wrong organisation.
    location_in(org_a, "Acme HQ")
    location_in(org_b, "Globex HQ")
    client = signed_in(org_a, Role.SUPERVISOR)
    response = client.get(f"{API}/locations/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Acme HQ"]
    assert client.get(f"{API}/organization/").json()["slug"] == org_a.organization.slug


def test_session_write_needs_the_csrf_token(org_a):
    # Catches session-authenticated writes without CSRF protection.
    client = signed_in(org_a, Role.OWNER, enforce_csrf_checks=True)
    body = {"name": "Forged", "time_zone": "UTC"}
    response = send(client, "post", f"{API}/locations/", body)
    assert error_of(response, 403)["code"] == "permission_denied"
    assert count(org_a, Location) == 0


def test_session_of_a_non_member_is_refused(org_a, org_b):
    # Catches a session pointing at an organisation the user does not belong to.
    client = Client()
    client.force_login(org_b.user(Role.OWNER))
    session = client.session
    session["organization_slug"] = org_a.organization.slug
    session.save()
    error_of(client.get(f"{API}/locations/"), 403)


# Organisation


def test_organization_is_the_callers_own(org_a, org_b):
    # Catches the singleton resolving to some other (first, latest) organisation.
    for role in Role:
        body = client_for(org_a, role).get(f"{API}/organization/").json()
        assert body["id"] == org_a.organization.pk
        assert body["slug"] == "acme"


def test_owner_changes_the_organisation(org_a, owner_a):
    # Catches PATCH not reaching the service, or saving fields that were not sent.
    body = {"name": "Acme Legal LLP", "time_zone": "America/Chicago", "country": "ca"}
    response = send(owner_a, "patch", f"{API}/organization/", body)
    assert response.status_code == 200, response.content
    assert response.json()["country"] == "CA"
    organization = Organization.objects.get(pk=org_a.organization.pk)
    assert (organization.name, organization.time_zone) == ("Acme Legal LLP", "America/Chicago")
    assert organization.sms_help_text == ""


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.QA, Role.LEADERSHIP])
def test_only_the_owner_changes_the_organisation(org_a, role):
    # Catches organisation settings writable by any member.
    response = send(client_for(org_a, role), "patch", f"{API}/organization/", {"name": "Mine"})
    assert error_of(response, 403)["code"] == "permission_denied"
    assert Organization.objects.get(pk=org_a.organization.pk).name == "Acme Legal"


def test_invalid_organisation_settings_are_field_errors_and_write_nothing(org_a, owner_a):
    # Catches bad time zones or countries being stored (they break every schedule), and a
    # partly valid body being half-applied.
    body = {"name": "Renamed", "time_zone": "Mars/Olympus", "country": "XX"}
    error = error_of(send(owner_a, "patch", f"{API}/organization/", body), 400)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"time_zone", "country"}
    assert "IANA" in error["fields"]["time_zone"][0]
    organization = Organization.objects.get(pk=org_a.organization.pk)
    assert (organization.name, organization.time_zone) == ("Acme Legal", "America/New_York")


# Locations


def test_location_list_is_scoped_to_the_callers_organisation(org_a, org_b, owner_a):
    # Catches a list that forgets the tenant filter (RLS would hide it only partly).
    location_in(org_a, "Acme Downtown")
    location_in(org_b, "Globex Uptown")
    names = [row["name"] for row in owner_a.get(f"{API}/locations/").json()["results"]]
    assert names == ["Acme Downtown"]


def test_supervisor_creates_a_location_with_a_normalised_phone(org_a):
    # Catches phone numbers stored as typed (routing matches on E.164) or the organisation's
    # country not being used as the default region.
    body = {"name": "Uptown", "time_zone": "America/New_York", "phone": "(212) 555-0100"}
    response = send(client_for(org_a, Role.SUPERVISOR), "post", f"{API}/locations/", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["phone"] == "+12125550100"
    assert created["is_active"] is True
    with tenant_context(org_a.organization):
        assert Location.objects.get(pk=created["id"]).phone == "+12125550100"


@pytest.mark.parametrize(
    ("phone", "problem"),
    [
        ("12", Problem.INVALID),
        ("+1 212 555 0100 ext 7", Problem.EXTENSION),
        ("\x00" * 10_000, Problem.TOO_LONG),
        (["+12125550100"], Problem.NOT_A_NUMBER),
    ],
)
def test_a_bad_location_phone_gets_the_shared_phone_message(org_a, owner_a, phone, problem):
    # Catches the serializer keeping a parser (and messages) of its own, a crash on absurd
    # input, or the example given in another country than the organisation's.
    Organization.objects.filter(pk=org_a.organization.pk).update(country="GB")
    body = {"name": "Uptown", "time_zone": "Europe/London", "phone": phone}
    error = error_of(send(owner_a, "post", f"{API}/locations/", body), 400)
    assert error["fields"] == {"phone": [phone_message(problem, region="GB")]}
    assert count(org_a, Location) == 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.QA, Role.LEADERSHIP])
def test_roles_without_location_management_cannot_create_one(org_a, role):
    # Catches the write capability not being checked (reads are open to every role).
    client = client_for(org_a, role)
    assert client.get(f"{API}/locations/").status_code == 200
    response = send(client, "post", f"{API}/locations/", {"name": "X", "time_zone": "UTC"})
    error = error_of(response, 403)
    assert error["code"] == "permission_denied"
    assert "owner, supervisor" in error["message"]
    assert count(org_a, Location) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name", "time_zone"}),
        ({"name": "", "time_zone": "UTC"}, {"name"}),
        ({"name": "A", "time_zone": "Europe/Atlantis"}, {"time_zone"}),
        ({"name": "A", "time_zone": "UTC", "phone": "555"}, {"phone"}),
        ({"name": "A", "time_zone": "UTC", "phone": "not a phone"}, {"phone"}),
        ({"name": "x" * 121, "time_zone": "UTC"}, {"name"}),
        ({"name": "A\x00", "time_zone": "UTC"}, {"name"}),
        ({"name": "A", "time_zone": "UTC", "nmae": "typo"}, {"nmae"}),
        ({"name": "A", "time_zone": "UTC", "is_active": False}, {"is_active"}),
        ({"name": ["A"], "time_zone": 5}, {"name", "time_zone"}),
    ],
)
def test_invalid_location_is_a_field_error_and_writes_nothing(org_a, owner_a, body, fields):
    # Catches invalid input reaching the database (500) or being stored, and unknown or
    # read-only fields being silently ignored.
    error = error_of(send(owner_a, "post", f"{API}/locations/", body), 400)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == fields
    assert all(messages and all(messages) for messages in error["fields"].values())
    assert count(org_a, Location) == 0


def test_duplicate_location_name_is_a_field_error(org_a, owner_a):
    # Catches the unique constraint surfacing as a 500 (or a non-field message).
    location_in(org_a, "Main office")
    body = {"name": "Main office", "time_zone": "UTC"}
    error = error_of(send(owner_a, "post", f"{API}/locations/", body), 400)
    assert error["fields"] == {"name": ["Another location already has this name."]}
    assert count(org_a, Location) == 1


def test_same_location_name_in_another_organisation_is_fine(org_a, org_b, owner_a):
    # Catches a uniqueness check that looks across tenants (and so leaks their names).
    location_in(org_b, "Main office")
    body = {"name": "Main office", "time_zone": "UTC"}
    assert send(owner_a, "post", f"{API}/locations/", body).status_code == 201


def test_location_update_and_deactivation(org_a, owner_a):
    # Catches PATCH replacing unsent fields, and is_active not being writable on update.
    location = location_in(org_a, "Old name")
    body = {"name": "New name", "is_active": False}
    response = send(owner_a, "patch", f"{API}/locations/{location.pk}/", body)
    assert response.status_code == 200, response.content
    assert response.json()["time_zone"] == "America/Chicago"
    with tenant_context(org_a.organization):
        location.refresh_from_db()
    assert (location.name, location.is_active) == ("New name", False)
    # Renaming to its own name is not a duplicate.
    response = send(owner_a, "patch", f"{API}/locations/{location.pk}/", {"name": "New name"})
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["get", "patch", "delete", "put"])
@pytest.mark.parametrize("role", [Role.OWNER, Role.AGENT])
def test_foreign_location_is_404_for_every_method_and_role(org_a, org_b, method, role):
    # Catches another tenant's ids answering 403 (or 405/200), which tells they exist.
    foreign = location_in(org_b, "Globex Uptown")
    response = send(client_for(org_a, role), method, f"{API}/locations/{foreign.pk}/", {})
    assert error_of(response, 404)["code"] == "not_found"
    with tenant_context(org_b.organization):
        assert Location.objects.get(pk=foreign.pk).name == "Globex Uptown"


def test_locations_are_not_deleted(org_a, owner_a):
    # Catches a DELETE route sneaking in: locations are deactivated, history keeps them.
    location = location_in(org_a)
    response = owner_a.delete(f"{API}/locations/{location.pk}/")
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert "PATCH" in response["Allow"]
    assert count(org_a, Location) == 1


def test_location_filters(org_a, owner_a):
    # Catches filters that are ignored, or a missing is_active read as "false".
    location_in(org_a, "North clinic")
    south = location_in(org_a, "South clinic")
    location_in(org_a, "Head office")
    with tenant_context(org_a.organization):
        services.location_update(actor=org_a.tenant(), location=south, is_active=False)

    def names(query: str) -> set[str]:
        return {row["name"] for row in owner_a.get(f"{API}/locations/?{query}").json()["results"]}

    assert names("") == {"North clinic", "South clinic", "Head office"}
    assert names("is_active=false") == {"South clinic"}
    assert names("is_active=true&search=CLINIC") == {"North clinic"}
    error = error_of(owner_a.get(f"{API}/locations/?is_active=maybe"), 400)
    assert set(error["fields"]) == {"is_active"}


# Members


def test_member_list_is_scoped_and_filtered(org_a, org_b):
    # Catches members of other organisations being listed, and the role filter ignored.
    client = client_for(org_a, Role.LEADERSHIP)
    emails = {row["email"] for row in client.get(f"{API}/members/").json()["results"]}
    assert emails == {org_a.user(role).email for role in Role}
    agents = client.get(f"{API}/members/?role=agent").json()["results"]
    assert [row["id"] for row in agents] == [org_a.members[Role.AGENT].pk]
    error = error_of(client.get(f"{API}/members/?role=boss"), 400)
    assert set(error["fields"]) == {"role"}


@pytest.mark.parametrize("role", (Role.AGENT, Role.QA))
def test_agents_and_qa_cannot_read_members(org_a, org_b, role):
    # Catches the member directory (emails) being visible to every role; an own id is a 403,
    # a foreign one still a 404.
    client = client_for(org_a, role)
    error_of(client.get(f"{API}/members/"), 403)
    assert client.head(f"{API}/members/").status_code == 403
    error_of(client.get(f"{API}/members/{org_a.members[Role.OWNER].pk}/"), 403)
    error_of(client.get(f"{API}/members/{org_b.members[Role.OWNER].pk}/"), 404)


def test_owner_invites_a_new_person(org_a, owner_a, mailoutbox, django_capture_on_commit_callbacks):
    # Catches invitations that create the membership but never send the email, or send it
    # before the transaction commits.
    body = {"email": "New.Person@Example.test", "role": "agent"}
    with django_capture_on_commit_callbacks(execute=True):
        response = send(owner_a, "post", f"{API}/members/", body)
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "new.person@example.test"
    assert response.json()["role"] == "agent"
    assert [message.to for message in mailoutbox] == [["new.person@example.test"]]


def test_inviting_a_current_member_is_a_field_error(org_a, owner_a):
    # Catches duplicate memberships (an IntegrityError, so a 500) for the same person.
    body = {"email": org_a.user(Role.AGENT).email, "role": "qa"}
    error = error_of(send(owner_a, "post", f"{API}/members/", body), 400)
    assert set(error["fields"]) == {"email"}
    assert count(org_a, Membership) == len(Role)


@pytest.mark.parametrize(
    "body", [{"email": "not-an-email", "role": "agent"}, {"email": "a@b.test", "role": "boss"}]
)
def test_invalid_invitation_is_a_field_error(org_a, owner_a, body):
    # Catches bad emails or made-up roles being stored.
    error = error_of(send(owner_a, "post", f"{API}/members/", body), 400)
    assert len(error["fields"]) == 1
    assert count(org_a, Membership) == len(Role)


def test_supervisor_cannot_invite(org_a):
    # Catches member management open to supervisors (they could make themselves owners).
    body = {"email": "x@example.test", "role": "owner"}
    error_of(send(client_for(org_a, Role.SUPERVISOR), "post", f"{API}/members/", body), 403)
    assert count(org_a, Membership) == len(Role)


def test_owner_changes_a_members_role_and_access(org_a, owner_a):
    # Catches PATCH ignoring one of the two fields.
    agent = org_a.members[Role.AGENT]
    body = {"role": "supervisor", "is_active": False}
    response = send(owner_a, "patch", f"{API}/members/{agent.pk}/", body)
    assert response.status_code == 200, response.content
    assert (response.json()["role"], response.json()["is_active"]) == ("supervisor", False)


def test_a_rejected_member_change_is_not_half_applied(org_a):
    # Catches the role change being kept when the access change in the same request fails
    # (two services, one request: the first one's write must be undone).
    with tenant_context(org_a.organization):
        services.member_change_role(
            actor=org_a.tenant(), membership=org_a.members[Role.SUPERVISOR], role=Role.OWNER
        )
    owner = org_a.members[Role.OWNER]
    client = signed_in(org_a, Role.OWNER)
    body = {"role": "agent", "is_active": False}
    error = error_of(send(client, "patch", f"{API}/members/{owner.pk}/", body), 400)
    assert error["fields"] == {"is_active": ["You cannot deactivate yourself."]}
    with tenant_context(org_a.organization):
        owner.refresh_from_db()
    assert (owner.role, owner.is_active) == (Role.OWNER, True)


def test_the_last_owner_cannot_be_demoted(org_a, owner_a):
    # Catches an organisation left without an owner, which nobody could administer again.
    owner = org_a.members[Role.OWNER]
    error = error_of(send(owner_a, "patch", f"{API}/members/{owner.pk}/", {"role": "agent"}), 400)
    assert set(error["fields"]) == {"role"}
    with tenant_context(org_a.organization):
        owner.refresh_from_db()
    assert owner.role == Role.OWNER


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_foreign_member_is_404(org_a, org_b, owner_a, method):
    # Catches another tenant's memberships being readable or writable by id.
    foreign = org_b.members[Role.AGENT]
    response = send(owner_a, method, f"{API}/members/{foreign.pk}/", {"role": "owner"})
    error_of(response, 404)
    with tenant_context(org_b.organization):
        foreign.refresh_from_db()
    assert foreign.role == Role.AGENT


# Teams


def test_team_is_created_with_members_in_ring_order(org_a, owner_a):
    # Catches the member order being lost (routing rings in this order).
    order = [org_a.members[Role.QA].pk, org_a.members[Role.AGENT].pk, org_a.members[Role.OWNER].pk]
    body = {"name": "Intake", "description": "First tier", "members": order}
    response = send(owner_a, "post", f"{API}/teams/", body)
    assert response.status_code == 201, response.content
    assert response.json()["members"] == order
    assert owner_a.get(f"{API}/teams/{response.json()['id']}/").json()["members"] == order


def test_foreign_member_id_in_a_team_reads_as_not_found(org_a, org_b, owner_a):
    # Catches a cross-tenant team membership being stored, and an error message that tells
    # a foreign id from a missing one.
    foreign = org_b.members[Role.AGENT].pk
    missing = max(foreign, org_a.members[Role.AGENT].pk) + 1000
    body = {"name": "Intake", "members": [org_a.members[Role.AGENT].pk, foreign, missing]}
    error = error_of(send(owner_a, "post", f"{API}/teams/", body), 400)
    assert error["fields"] == {
        "members": [f"Member {foreign} not found.", f"Member {missing} not found."]
    }
    assert count(org_a, Team) == 0


@pytest.mark.parametrize(
    ("members", "field"),
    [
        ([1, 1], "members"),
        (["one"], "members.0"),
        ([0], "members.0"),
        ("1,2", "members"),
        ([2**64], "members.0"),
    ],
)
def test_invalid_team_members_are_field_errors(org_a, owner_a, members, field):
    # Catches malformed id lists reaching the database (500) instead of a field message.
    if members == [1, 1]:
        members = [org_a.members[Role.AGENT].pk] * 2
    error = error_of(send(owner_a, "post", f"{API}/teams/", {"name": "T", "members": members}), 400)
    assert set(error["fields"]) == {field}
    assert count(org_a, Team) == 0


def test_team_update_replaces_members_and_keeps_unsent_fields(org_a, owner_a):
    # Catches PATCH appending to the member list, or clearing the description.
    team = team_in(org_a, "Intake", (Role.AGENT, Role.QA))
    with tenant_context(org_a.organization):
        services.team_update(actor=org_a.tenant(), team=team, description="Keep me")
    order = [org_a.members[Role.SUPERVISOR].pk]
    response = send(owner_a, "patch", f"{API}/teams/{team.pk}/", {"members": order})
    assert response.status_code == 200, response.content
    assert (response.json()["members"], response.json()["description"]) == (order, "Keep me")


def test_team_delete(org_a, owner_a):
    # Catches DELETE answering 204 without deleting, or deleting the members with the team.
    team = team_in(org_a, "Intake", (Role.AGENT,))
    assert owner_a.delete(f"{API}/teams/{team.pk}/").status_code == 204
    error_of(owner_a.get(f"{API}/teams/{team.pk}/"), 404)
    assert count(org_a, Membership) == len(Role)


@pytest.mark.parametrize("role", [Role.AGENT, Role.QA, Role.LEADERSHIP])
def test_roles_without_team_management_cannot_change_teams(org_a, role):
    # Catches team writes checked only in the browser.
    team = team_in(org_a, "Intake")
    client = client_for(org_a, role)
    assert client.get(f"{API}/teams/{team.pk}/").status_code == 200
    error_of(client.delete(f"{API}/teams/{team.pk}/"), 403)
    error_of(send(client, "patch", f"{API}/teams/{team.pk}/", {"name": "Mine"}), 403)
    error_of(send(client, "post", f"{API}/teams/", {"name": "Mine"}), 403)
    assert count(org_a, Team) == 1


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("role", [Role.OWNER, Role.AGENT])
def test_foreign_team_is_404(org_a, org_b, method, role):
    # Catches another tenant's teams being readable, changeable or deletable by id.
    foreign = team_in(org_b, "Globex desk")
    response = send(client_for(org_a, role), method, f"{API}/teams/{foreign.pk}/", {"name": "x"})
    error_of(response, 404)
    assert count(org_b, Team) == 1


def test_team_list_is_scoped(org_a, org_b, owner_a):
    # Catches a list that forgets the tenant filter.
    team_in(org_a, "Acme desk")
    team_in(org_b, "Globex desk")
    names = [row["name"] for row in owner_a.get(f"{API}/teams/?search=desk").json()["results"]]
    assert names == ["Acme desk"]


# The error contract and pagination


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/nothing-here/",
        f"{API}/",
        f"{API}/locations/abc/",
        f"{API}/locations/-1/",
        f"{API}/locations/0/",
        f"{API}/locations/99999999999999999999/",
    ],
)
def test_unknown_paths_are_404_in_the_error_shape(org_a, owner_a, path):
    # Catches Django's HTML 404 page (or a 500 on an id past bigint) under /api/v1/.
    assert error_of(owner_a.get(path), 404)["code"] == "not_found"


def test_missing_trailing_slash_names_the_right_path(org_a, owner_a):
    # Catches a redirect or a bare 404 that leaves an integrator guessing.
    error = error_of(owner_a.get(f"{API}/locations"), 404)
    assert f"{API}/locations/" in error["message"]


def test_malformed_json_unsupported_media_and_wrong_method(org_a, owner_a):
    # Catches parse errors, form posts and wrong methods answering outside the error shape.
    response = owner_a.post(f"{API}/locations/", data="{not json", content_type="application/json")
    assert error_of(response, 400)["code"] == "parse_error"
    response = owner_a.post(f"{API}/locations/", data={"name": "A", "time_zone": "UTC"})
    assert error_of(response, 415)["code"] == "unsupported_media_type"
    response = send(owner_a, "put", f"{API}/organization/", {"name": "A"})
    assert error_of(response, 405)["code"] == "method_not_allowed"
    response = send(owner_a, "post", f"{API}/locations/", ["a", "list"])
    assert set(error_of(response, 400)["fields"]) == {"non_field_errors"}
    assert count(org_a, Location) == 0


def test_cursor_pagination_follows_next_links_without_duplicates(org_a, org_b, owner_a):
    # Catches offset-style paging that repeats or skips rows, and foreign rows in any page.
    mine = {location_in(org_a, f"Acme {n}").pk for n in range(7)}
    location_in(org_b, "Globex 1")
    seen: list[int] = []
    url: str | None = f"{API}/locations/?page_size=3"
    pages = 0
    while url:
        body = owner_a.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == mine
    assert seen == sorted(seen, reverse=True)


def _cursor(position: str) -> str:
    return base64.b64encode(urlencode({"o": 0, "r": 0, "p": position}).encode()).decode()


@pytest.mark.parametrize(
    "cursor", ["garbage!", _cursor("not-a-number"), _cursor(str(2**70)), _cursor("1.5")]
)
def test_bad_cursor_is_a_field_error(org_a, owner_a, cursor):
    # Catches a forged cursor's position reaching the query (a 500) or a bare 404.
    error = error_of(owner_a.get(f"{API}/locations/", {"cursor": cursor}), 400)
    assert set(error["fields"]) == {"cursor"}


def test_next_link_keeps_filters(org_a, owner_a):
    # Catches next links that drop the query (page 2 would show unfiltered rows).
    for n in range(3):
        location_in(org_a, f"Clinic {n}")
    location_in(org_a, "Office")
    body = owner_a.get(f"{API}/locations/?search=clinic&page_size=2").json()
    assert parse_qs(urlsplit(body["next"]).query)["search"] == ["clinic"]
    rest = owner_a.get(body["next"]).json()
    assert [row["name"] for row in rest["results"]] == ["Clinic 0"]


def test_api_fallback_route_is_the_last_route_under_api_v1():
    # Catches API routes placed after tenancy.api_urls in the root URLconf: its catch-all
    # 404 route would shadow them. (Other apps' API includes go before it.)
    under_api = [
        pattern
        for pattern in get_resolver().url_patterns
        if str(pattern.pattern).startswith("api/v1/")
    ]
    last = under_api[-1]
    assert isinstance(last, URLResolver)
    assert str(last.pattern) == "api/v1/"
    assert getattr(last.urlconf_name, "__name__", None) == "tenancy.api_urls"


# Documentation


def test_schema_and_docs_render_without_a_cdn(client):
    # Catches the docs loading Swagger UI from a CDN (unreachable on closed networks; no
    # third-party JS is committed), assets that staticfiles cannot serve, or a broken schema.
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert "/api/v1/locations/{id}/" in document["paths"]
    assert "404" in document["paths"]["/api/v1/locations/{id}/"]["get"]["responses"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 3
    for asset in assets:
        assert asset.startswith(f"/{settings.STATIC_URL.strip('/')}/"), asset
        assert finders.find(asset.split(settings.STATIC_URL, 1)[1]), asset


def test_an_api_path_with_a_newline_is_a_json_404(org_a, owner_a):
    # Catches the catch-all route letting control characters fall through to the HTML page.
    response = send(owner_a, "patch", f"{API}/members/%0A%C2%BC/", {"is_active": False})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
