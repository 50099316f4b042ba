"""The tenancy browser pages, through the real middleware, views, services and templates.

Each test names the regression it catches. Pages of another organisation, and another
organisation's objects, must look exactly like missing ones (404); a member whose role
lacks a capability gets 403 on their own organisation.
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any, cast

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from foundation.phones import Problem, phone_message
from tenancy import services
from tenancy.api_auth import ApiKeyAuthentication
from tenancy.context import tenant_context
from tenancy.models import ApiKey, Location, Membership, Organization, Team, TeamMember
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.factories import (
    PASSWORD,
    LocationFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ALL_ROLES = frozenset(Role)
OWNER_ONLY = frozenset({Role.OWNER})
OWNER_SUPERVISOR = frozenset({Role.OWNER, Role.SUPERVISOR})


def url(name: str, *args: Any, org: str = "acme") -> str:
    return reverse(name, args=[org, *args])


def field_errors(response: Any, field: str) -> str:
    """The text of the error list rendered beside ``field`` (empty if none)."""
    match = re.search(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', response.content.decode(), re.S
    )
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def member(org: OrgWorld, role: Role) -> Membership:
    return cast(Membership, org.members[role])


class World:
    """Objects of one organisation that the pages act on."""

    def __init__(self, org: OrgWorld) -> None:
        self.org = org
        with tenant_context(org.organization):
            self.location = cast(
                Location, LocationFactory(organization=org.organization, name="Main Office")
            )
            self.team = cast(Team, TeamFactory(organization=org.organization, name="Frontline"))
            self.api_key, self.raw_key = services.api_key_create(
                actor=org.tenant(), name="CRM sync"
            )


@pytest.fixture
def world_a(org_a: OrgWorld) -> World:
    return World(org_a)


@pytest.fixture
def world_b(org_b: OrgWorld) -> World:
    return World(org_b)


@pytest.fixture
def as_role(client: Any, org_a: OrgWorld) -> Any:
    def sign_in(role: Role) -> Any:
        client.force_login(org_a.user(role))
        return client

    return sign_in


# The authorisation matrix of the pages -------------------------------------------------

PAGES: list[tuple[str, str | None, frozenset[Role]]] = [
    ("org-home", None, ALL_ROLES),
    ("members", None, frozenset({Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP})),
    ("locations", None, ALL_ROLES),
    ("location-create", None, OWNER_SUPERVISOR),
    ("location-edit", "location", OWNER_SUPERVISOR),
    ("teams", None, OWNER_SUPERVISOR),
    ("team-create", None, OWNER_SUPERVISOR),
    ("team-edit", "team", OWNER_SUPERVISOR),
    ("api-keys", None, OWNER_ONLY),
    ("api-key-create", None, OWNER_ONLY),
    ("org-settings", None, OWNER_ONLY),
    ("audit", None, OWNER_SUPERVISOR),
]

ACTIONS: list[tuple[str, str | None, frozenset[Role]]] = [
    ("member-invite", None, OWNER_ONLY),
    ("member-role", "membership", OWNER_ONLY),
    ("member-active", "membership", OWNER_ONLY),
    ("team-members", "team", OWNER_SUPERVISOR),
    ("api-key-revoke", "api_key", OWNER_ONLY),
]


def _object_id(world: World, kind: str | None) -> list[int]:
    if kind is None:
        return []
    if kind == "membership":
        return [member(world.org, Role.AGENT).pk]
    return [getattr(world, kind).pk]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("name", "kind", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_answers_its_roles_and_refuses_the_others(
    as_role: Any, world_a: World, name: str, kind: str | None, allowed: frozenset[Role], role: Role
) -> None:
    # Catches a view that forgets its capability check (a 200 for a forbidden role) or
    # checks the wrong one (a 403 for a role that should see the page).
    response = as_role(role).get(url(name, *_object_id(world_a, kind)))
    assert response.status_code == (200 if role in allowed else 403)


ACTION_DENIALS = [
    (name, kind, role) for name, kind, allowed in ACTIONS for role in Role if role not in allowed
]


@pytest.mark.parametrize(("name", "kind", "role"), ACTION_DENIALS)
def test_actions_refuse_roles_without_the_capability(
    as_role: Any, world_a: World, name: str, kind: str | None, role: Role
) -> None:
    # Catches a POST-only action that checks nothing because its page hides the button.
    response = as_role(role).post(url(name, *_object_id(world_a, kind)), {"role": "owner"})
    assert response.status_code == 403
    with tenant_context(world_a.org.organization):
        assert Membership.objects.get(pk=member(world_a.org, Role.AGENT).pk).role == Role.AGENT
        assert ApiKey.objects.get(pk=world_a.api_key.pk).revoked_at is None


@pytest.mark.parametrize(("name", "kind", "allowed"), PAGES + ACTIONS)
def test_another_organisations_pages_look_missing_to_its_non_members(
    client: Any, world_a: World, org_b: OrgWorld, name: str, kind: str | None, allowed: Any
) -> None:
    # Catches the middleware or a view serving an organisation to someone who is not its
    # member (even its owner elsewhere): it must be a 404, never a 403 that confirms it.
    client.force_login(org_b.user(Role.OWNER))
    path = url(name, *_object_id(world_a, kind))
    assert client.get(path).status_code == 404
    assert client.post(path, {}).status_code == 404


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("location-edit", "location"),
        ("team-edit", "team"),
        ("team-members", "team"),
        ("member-role", "membership"),
        ("member-active", "membership"),
        ("api-key-revoke", "api_key"),
    ],
)
def test_foreign_object_ids_in_own_organisation_urls_are_404(
    as_role: Any, world_a: World, world_b: World, name: str, kind: str
) -> None:
    # Catches a view that loads objects with an unscoped manager: organisation B's id in
    # organisation A's URL must not be found, and must not be changed.
    client = as_role(Role.OWNER)
    path = url(name, *_object_id(world_b, kind))
    assert client.get(path).status_code in (404, 405)
    response = client.post(path, {"role": "owner", "name": "Hijacked"})
    assert response.status_code == 404
    with tenant_context(world_b.org.organization):
        assert ApiKey.objects.get(pk=world_b.api_key.pk).revoked_at is None
        assert Membership.objects.get(pk=member(world_b.org, Role.AGENT).pk).role == Role.AGENT


def test_unknown_organisation_is_a_404_page(as_role: Any) -> None:
    # Catches the 404 template missing (Django's bare page) or a 500 on an unknown slug.
    response = as_role(Role.OWNER).get("/o/no-such-org/members/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_post_only_actions_refuse_get(as_role: Any, world_a: World) -> None:
    # Catches an action that would change data on a GET (a link preview, a prefetch).
    client = as_role(Role.OWNER)
    agent = member(world_a.org, Role.AGENT)
    assert client.get(url("member-active", agent.pk)).status_code == 405
    assert client.get(url("api-key-revoke", world_a.api_key.pk)).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client: Any, org_a: OrgWorld) -> None:
    # Catches a page (or the home redirect) that renders for nobody in particular.
    assert client.get("/").url == "/accounts/login/?next=/"
    assert client.get(url("members")).url == "/accounts/login/?next=/o/acme/members/"


# Home, navigation and the organisation switcher ----------------------------------------


def test_home_sends_a_single_organisation_member_to_it(as_role: Any) -> None:
    response = as_role(Role.AGENT).get("/")
    assert response.status_code == 302
    assert response.url == "/o/acme/"


def test_home_lets_a_member_of_several_organisations_choose_then_remembers(
    client: Any, org_a: OrgWorld, org_b: OrgWorld
) -> None:
    # Catches the picker listing organisations the person is not in, or forgetting the one
    # used last in this session.
    OrganizationFactory(slug="initech", name="Initech Dental")
    person = UserFactory(username="both@example.test")
    with tenant_context(org_a.organization):
        MembershipFactory(organization=org_a.organization, user=person, role=Role.AGENT)
    with tenant_context(org_b.organization):
        MembershipFactory(organization=org_b.organization, user=person, role=Role.QA)
    client.force_login(person)

    picker = client.get("/")
    assert picker.status_code == 200
    body = picker.content.decode()
    assert "Acme Legal" in body and "Globex Health" in body
    assert "Initech Dental" not in body

    client.get("/o/globex/")
    assert client.get("/").url == "/o/globex/"


def test_home_explains_when_the_person_belongs_to_no_organisation(client: Any, db: None) -> None:
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert "No organisation yet" in response.content.decode()


def test_switcher_lists_only_the_members_organisations(
    client: Any, org_a: OrgWorld, org_b: OrgWorld
) -> None:
    # Catches the switcher reading memberships across tenants wrongly (RLS hides them) or
    # listing every organisation.
    person = UserFactory(username="both@example.test")
    for world in (org_a, org_b):
        with tenant_context(world.organization):
            MembershipFactory(organization=world.organization, user=person, role=Role.AGENT)
    client.force_login(person)
    response = client.get(url("org-home"))
    assert [o.slug for o in response.context["organizations"]] == ["acme", "globex"]
    assert 'href="/o/globex/"' in response.content.decode()


# Intake's pages for those who run the desk (intake/navigation.py).
INTAKE_MANAGER = [
    "Calls and intakes",
    "Leads",
    "Appointments",
    "Cases",
    "QA review",
    "QA accuracy",
    "Scripts",
    "Escalation path",
    "Parties and matters",
    "Handoff recipients",
    "Handoffs",
]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.OWNER,
            [
                "Overview",
                "Locations",
                "Members",
                "Teams",
                "Routing",
                "My presence",
                *INTAKE_MANAGER,
                "API keys",
                "Audit log",
                "Scheduled work",
                "Settings",
                "Health-answer reads",
            ],
        ),
        (
            Role.SUPERVISOR,
            [
                "Overview",
                "Locations",
                "Members",
                "Teams",
                "Routing",
                "My presence",
                *INTAKE_MANAGER,
                "Audit log",
                "Scheduled work",
            ],
        ),
        (Role.LEADERSHIP, ["Overview", "Locations", "Members", "Routing", "QA accuracy"]),
        (
            Role.AGENT,
            [
                "Overview",
                "Locations",
                "My presence",
                "Calls and intakes",
                "Leads",
                "Appointments",
                "Cases",
            ],
        ),
        (
            Role.QA,
            ["Overview", "Locations", "Leads", "Appointments", "Cases", "QA review", "QA accuracy"],
        ),
    ],
)
def test_navigation_follows_the_role(as_role: Any, role: Role, expected: list[str]) -> None:
    # Catches navigation that offers links the role would get a 403 on, or hides its pages.
    response = as_role(role).get(url("org-home"))
    labels = [item.label for section in response.context["nav"] for item in section.items]
    assert labels == expected


def test_layout_shows_organisation_user_role_and_a_post_sign_out(as_role: Any) -> None:
    # Catches a GET sign-out link (Django 6 only signs out on POST) or a layout without
    # the CSRF header htmx needs.
    body = as_role(Role.SUPERVISOR).get(url("org-home")).content.decode()
    assert "Acme Legal" in body and "supervisor@acme.test" in body and "Supervisor" in body
    assert re.search(r'<form method="post" action="/accounts/logout/">', body)
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert "/static/vendor/htmx.min.js" in body


# Members -------------------------------------------------------------------------------


def test_owner_invites_a_new_person_who_gets_an_email(
    as_role: Any, org_a: OrgWorld, django_capture_on_commit_callbacks: Any
) -> None:
    # Catches the invitation not creating the membership with the chosen role, or the email
    # (sent after commit) never leaving.
    client = as_role(Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("member-invite"), {"email": "New.Person@Example.test", "role": "qa"}, follow=True
        )
    assert "new.person@example.test was invited." in response.content.decode()
    with tenant_context(org_a.organization):
        membership = Membership.objects.get(user__email="new.person@example.test")
    assert membership.role == Role.QA
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.test"]
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert "Invited" in response.content.decode()


def test_inviting_an_existing_member_is_an_error_beside_the_email(
    as_role: Any, org_a: OrgWorld
) -> None:
    # Catches a duplicate membership, a 500 from the unique constraint, or the error shown
    # away from the email field; the typed address must stay in the field.
    response = as_role(Role.OWNER).post(
        url("member-invite"), {"email": "agent@acme.test", "role": "supervisor"}
    )
    assert response.status_code == 200
    assert field_errors(response, "email") == "This person is already a member of the organisation."
    assert 'value="agent@acme.test"' in response.content.decode()
    with tenant_context(org_a.organization):
        assert Membership.objects.filter(user__email="agent@acme.test").count() == 1


def test_invite_form_validates_email_and_role(as_role: Any) -> None:
    response = as_role(Role.OWNER).post(
        url("member-invite"), {"email": "not-an-email", "role": "x"}
    )
    assert field_errors(response, "email") == "Enter a valid email address."
    assert field_errors(response, "role").startswith("Select a valid choice.")


def test_role_change_over_htmx_returns_the_updated_row(as_role: Any, org_a: OrgWorld) -> None:
    # Catches the htmx endpoint returning a whole page (nested layout in the table) or not
    # saving the role.
    agent = member(org_a, Role.AGENT)
    response = as_role(Role.OWNER).post(
        url("member-role", agent.pk), {"role": "supervisor"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="member-{agent.pk}"')
    assert "<html" not in body
    assert "Role changed." in body
    with tenant_context(org_a.organization):
        assert Membership.objects.get(pk=agent.pk).role == Role.SUPERVISOR


def test_role_change_without_htmx_redirects_with_a_notice(as_role: Any, org_a: OrgWorld) -> None:
    # Catches the no-JavaScript path breaking: a plain form post must work too.
    agent = member(org_a, Role.AGENT)
    response = as_role(Role.OWNER).post(url("member-role", agent.pk), {"role": "qa"}, follow=True)
    assert "agent@acme.test: Role changed." in response.content.decode()
    with tenant_context(org_a.organization):
        assert Membership.objects.get(pk=agent.pk).role == Role.QA


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_the_last_owner_cannot_step_down(as_role: Any, org_a: OrgWorld, headers: Any) -> None:
    # Catches an organisation left without an owner (nobody could manage it again).
    owner = member(org_a, Role.OWNER)
    response = as_role(Role.OWNER).post(
        url("member-role", owner.pk), {"role": "agent"}, headers=headers
    )
    assert response.status_code == 200
    assert "An organisation needs at least one active owner." in response.content.decode()
    with tenant_context(org_a.organization):
        assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_an_owner_stepping_down_while_another_remains_is_sent_to_the_overview(
    as_role: Any, org_a: OrgWorld
) -> None:
    # Catches the members page being re-rendered for someone who may no longer manage it.
    with tenant_context(org_a.organization):
        Membership.objects.filter(pk=member(org_a, Role.SUPERVISOR).pk).update(role=Role.OWNER)
    owner = member(org_a, Role.OWNER)
    response = as_role(Role.OWNER).post(
        url("member-role", owner.pk), {"role": "agent"}, headers=HTMX
    )
    assert response.headers["HX-Redirect"] == "/o/acme/"
    with tenant_context(org_a.organization):
        assert Membership.objects.get(pk=owner.pk).role == Role.AGENT


def test_invalid_role_value_is_an_error_not_a_500(as_role: Any, org_a: OrgWorld) -> None:
    agent = member(org_a, Role.AGENT)
    response = as_role(Role.OWNER).post(
        url("member-role", agent.pk), {"role": "emperor"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


def test_owner_deactivates_and_reactivates_a_member(as_role: Any, org_a: OrgWorld) -> None:
    # Catches deactivation not saving, or the row not offering the way back.
    agent = member(org_a, Role.AGENT)
    client = as_role(Role.OWNER)
    row = client.post(url("member-active", agent.pk), {}, headers=HTMX).content.decode()
    assert "Deactivated" in row and "Reactivate" in row
    with tenant_context(org_a.organization):
        assert not Membership.objects.get(pk=agent.pk).is_active
    client.post(url("member-active", agent.pk), {"active": "1"}, headers=HTMX)
    with tenant_context(org_a.organization):
        assert Membership.objects.get(pk=agent.pk).is_active


def test_a_deactivated_member_loses_access(client: Any, as_role: Any, org_a: OrgWorld) -> None:
    # Catches deactivation that only changes a flag the middleware does not read.
    agent = member(org_a, Role.AGENT)
    as_role(Role.OWNER).post(url("member-active", agent.pk), {})
    client.force_login(agent.user)
    assert client.get(url("org-home")).status_code == 404


def test_owner_cannot_deactivate_themselves(as_role: Any, org_a: OrgWorld) -> None:
    owner = member(org_a, Role.OWNER)
    response = as_role(Role.OWNER).post(url("member-active", owner.pk), {}, headers=HTMX)
    assert "You cannot deactivate yourself." in response.content.decode()
    with tenant_context(org_a.organization):
        assert Membership.objects.get(pk=owner.pk).is_active


def test_members_page_shows_status_and_invitations(
    as_role: Any, org_a: OrgWorld, django_capture_on_commit_callbacks: Any
) -> None:
    client = as_role(Role.OWNER)
    client.post(url("member-invite"), {"email": "pending@example.test", "role": "agent"})
    body = client.get(url("members")).content.decode()
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*pending@example\.test.*?</tr>", body, re.S)
    assert row and "Invited" in row.group(0)


def test_supervisor_sees_members_without_controls(as_role: Any) -> None:
    # Catches management controls rendered for a role that would get 403 on using them.
    body = as_role(Role.SUPERVISOR).get(url("members")).content.decode()
    assert "Invite someone" not in body
    assert "Deactivate" not in body
    assert 'name="role"' not in body


# Locations -----------------------------------------------------------------------------


def test_location_with_a_bad_phone_number_is_refused_beside_the_field(
    as_role: Any, org_a: OrgWorld
) -> None:
    # Catches an invalid phone number stored, or its error shown away from the field, or
    # the rest of the input lost.
    data = {"name": "Uptown", "time_zone": "America/New_York", "address": "1 Up St", "phone": "12"}
    response = as_role(Role.SUPERVISOR).post(url("location-create"), data)
    assert response.status_code == 200
    assert field_errors(response, "phone") == (
        "Enter a valid phone number, for example +1 201-555-0123."
    )
    body = response.content.decode()
    assert 'value="Uptown"' in body and 'value="1 Up St"' in body and 'value="12"' in body
    with tenant_context(org_a.organization):
        assert not Location.objects.filter(name="Uptown").exists()


def test_location_form_refuses_absurd_phone_input_with_the_shared_message(
    as_role: Any, org_a: OrgWorld
) -> None:
    # Catches binary or endless input crashing the form, or the form keeping messages of
    # its own instead of the shared phone parser's.
    client = as_role(Role.SUPERVISOR)
    for phone, problem in (
        ("212\x00555\x000100", Problem.NOT_A_NUMBER),
        ("9" * 10_000, Problem.TOO_LONG),
        ("212 555 0100 ext. 4", Problem.EXTENSION),
    ):
        data = {"name": "Uptown", "time_zone": "America/New_York", "phone": phone}
        response = client.post(url("location-create"), data)
        assert response.status_code == 200
        assert field_errors(response, "phone") == phone_message(problem, region="US")
    with tenant_context(org_a.organization):
        assert not Location.objects.filter(name="Uptown").exists()


def test_location_phone_is_normalised_to_e164_with_the_organisations_country(
    as_role: Any, org_a: OrgWorld
) -> None:
    data = {"name": "Uptown", "time_zone": "America/New_York", "phone": "(212) 555-0100"}
    response = as_role(Role.SUPERVISOR).post(url("location-create"), data)
    assert response.url == "/o/acme/locations/"
    with tenant_context(org_a.organization):
        assert Location.objects.get(name="Uptown").phone == "+12125550100"


def test_location_phone_uses_the_organisation_country_not_a_fixed_one(
    as_role: Any, org_a: OrgWorld
) -> None:
    # Catches phone parsing hard-wired to the US.
    Organization.objects.filter(pk=org_a.organization.pk).update(country="GB")
    data = {"name": "London", "time_zone": "Europe/London", "phone": "020 7946 0018"}
    as_role(Role.OWNER).post(url("location-create"), data)
    with tenant_context(org_a.organization):
        assert Location.objects.get(name="London").phone == "+442079460018"


def test_location_form_validates_time_zone_and_name(as_role: Any, world_a: World) -> None:
    # Catches an unknown time zone stored (every schedule would break) and the duplicate
    # name reaching the database as an IntegrityError (500).
    data = {"name": "Main Office", "time_zone": "Mars/Olympus_Mons", "phone": ""}
    response = as_role(Role.OWNER).post(url("location-create"), data)
    assert field_errors(response, "time_zone").startswith("Select a valid choice.")
    data["time_zone"] = "UTC"
    response = as_role(Role.OWNER).post(url("location-create"), data)
    assert field_errors(response, "name") == "A location with this name already exists."


def test_location_name_too_long_is_a_field_error(as_role: Any) -> None:
    response = as_role(Role.OWNER).post(
        url("location-create"), {"name": "x" * 200, "time_zone": "UTC"}
    )
    assert field_errors(response, "name") == (
        "Ensure this value has at most 120 characters (it has 200)."
    )


def test_location_edit_saves_changes_and_keeps_input_on_error(as_role: Any, world_a: World) -> None:
    client = as_role(Role.SUPERVISOR)
    path = url("location-edit", world_a.location.pk)
    form = client.get(path).content.decode()
    assert 'value="Main Office"' in form
    data = {"name": "Main Office", "time_zone": "America/Denver", "phone": "303 555 0100"}
    assert client.post(path, data).status_code == 302  # is_active absent: deactivate
    with tenant_context(world_a.org.organization):
        location = Location.objects.get(pk=world_a.location.pk)
    assert (location.time_zone, location.phone, location.is_active) == (
        "America/Denver",
        "+13035550100",
        False,
    )
    response = client.post(path, {**data, "phone": "nope", "is_active": "on"})
    assert field_errors(response, "phone") == phone_message(Problem.NOT_A_NUMBER, region="US")
    assert 'value="nope"' in response.content.decode()


def test_everyone_sees_locations_but_only_managers_get_controls(
    as_role: Any, world_a: World
) -> None:
    agent_view = as_role(Role.AGENT).get(url("locations")).content.decode()
    assert "Main Office" in agent_view
    assert "Add location" not in agent_view and "/edit/" not in agent_view
    supervisor_view = as_role(Role.SUPERVISOR).get(url("locations")).content.decode()
    assert "Add location" in supervisor_view


def test_forbidden_location_post_writes_nothing(as_role: Any, org_a: OrgWorld) -> None:
    # Catches a capability check placed after the write.
    response = as_role(Role.AGENT).post(url("location-create"), {"name": "X", "time_zone": "UTC"})
    assert response.status_code == 403
    with tenant_context(org_a.organization):
        assert not Location.objects.filter(name="X").exists()


# Teams ---------------------------------------------------------------------------------


def test_team_create_then_set_members_in_ring_order(as_role: Any, org_a: OrgWorld) -> None:
    # Catches the ring order ignored (routing rings members in this order).
    client = as_role(Role.SUPERVISOR)
    response = client.post(url("team-create"), {"name": "Night shift", "description": ""})
    with tenant_context(org_a.organization):
        team = Team.objects.get(name="Night shift")
    assert response.url == url("team-edit", team.pk)
    agent, qa, leader = (member(org_a, r) for r in (Role.AGENT, Role.QA, Role.LEADERSHIP))
    data = {
        f"include_{agent.pk}": "on",
        f"position_{agent.pk}": "2",
        f"include_{qa.pk}": "on",
        f"position_{qa.pk}": "1",
        f"include_{leader.pk}": "on",
        f"position_{member(org_a, Role.OWNER).pk}": "1",  # not included: ignored
    }
    assert client.post(url("team-members", team.pk), data).status_code == 302
    with tenant_context(org_a.organization):
        order = list(
            TeamMember.objects.filter(team=team)
            .order_by("position")
            .values_list("membership_id", flat=True)
        )
    assert order == [qa.pk, agent.pk, leader.pk]
    body = client.get(url("teams")).content.decode()
    assert body.index("qa@acme.test") < body.index("agent@acme.test")


def test_team_member_form_errors_save_nothing(as_role: Any, world_a: World) -> None:
    agent = member(world_a.org, Role.AGENT)
    response = as_role(Role.OWNER).post(
        url("team-members", world_a.team.pk),
        {f"include_{agent.pk}": "on", f"position_{agent.pk}": "0"},
    )
    assert field_errors(response, f"position_{agent.pk}") == (
        "Ensure this value is greater than or equal to 1."
    )
    with tenant_context(world_a.org.organization):
        assert not TeamMember.objects.filter(team=world_a.team).exists()


def test_foreign_membership_cannot_be_put_on_a_team(
    as_role: Any, world_a: World, org_b: OrgWorld
) -> None:
    # Catches the members form trusting submitted ids instead of the organisation's own.
    foreign = member(org_b, Role.AGENT)
    as_role(Role.OWNER).post(
        url("team-members", world_a.team.pk),
        {f"include_{foreign.pk}": "on", f"position_{foreign.pk}": "1"},
    )
    with tenant_context(world_a.org.organization):
        assert not TeamMember.objects.filter(team=world_a.team).exists()


def test_team_names_are_unique_per_organisation(
    as_role: Any, world_a: World, world_b: World
) -> None:
    # Catches the uniqueness check ignoring the organisation (B's "Frontline" blocking A's
    # rename) or a duplicate reaching the database as a 500.
    client = as_role(Role.OWNER)
    response = client.post(url("team-create"), {"name": "Frontline"})
    assert field_errors(response, "name") == "A team with this name already exists."
    with tenant_context(world_a.org.organization):
        other = cast(Team, TeamFactory(organization=world_a.org.organization, name="Backline"))
    response = client.post(url("team-edit", other.pk), {"name": "Frontline", "description": ""})
    assert field_errors(response, "name") == "A team with this name already exists."
    assert 'value="Frontline"' in response.content.decode()
    response = client.post(url("team-edit", other.pk), {"name": "Second line"})
    assert response.status_code == 302


# API keys ------------------------------------------------------------------------------


def _authenticates(organization: Organization, raw_key: str) -> bool:
    request = RequestFactory().get("/api/v1/", headers={"Authorization": f"Bearer {raw_key}"})
    with tenant_context(organization):
        try:
            return ApiKeyAuthentication().authenticate(Request(request)) is not None
        except AuthenticationFailed:
            return False


def test_api_key_is_shown_once_stored_as_a_digest_then_usable_and_revocable(
    as_role: Any, org_a: OrgWorld
) -> None:
    # Catches the secret stored in clear, shown again on the list, cached by a browser or
    # proxy, not working, or still working after revocation.
    client = as_role(Role.OWNER)
    response = client.post(url("api-key-create"), {"name": "Zapier", "role": "agent"})
    raw_key = re.search(r'id="raw-key"[^>]*value="([^"]+)"', response.content.decode())
    if raw_key is None:
        raw_key = re.search(r'value="(cpk_[^"]+)"', response.content.decode())
    assert raw_key is not None
    secret = raw_key.group(1)
    assert "no-store" in response.headers["Cache-Control"]

    with tenant_context(org_a.organization):
        key = ApiKey.objects.get(name="Zapier")
        stored = [str(v) for v in ApiKey.objects.filter(pk=key.pk).values().get().values()]
    assert key.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored
    assert secret.startswith(key.prefix) and len(key.prefix) < len(secret) // 2

    listing = client.get(url("api-keys")).content.decode()
    assert "Zapier" in listing and key.prefix in listing and secret not in listing
    assert _authenticates(org_a.organization, secret)

    row = client.post(url("api-key-revoke", key.pk), headers=HTMX).content.decode()
    assert row.lstrip().startswith(f'<tr id="api-key-{key.pk}"') and "Revoked" in row
    assert not _authenticates(org_a.organization, secret)


def test_api_key_form_errors(as_role: Any) -> None:
    response = as_role(Role.OWNER).post(url("api-key-create"), {"name": "", "role": "god"})
    assert field_errors(response, "name") == "This field is required."
    assert field_errors(response, "role").startswith("Select a valid choice.")


# Settings ------------------------------------------------------------------------------


def test_owner_updates_settings(as_role: Any, org_a: OrgWorld) -> None:
    data = {
        "name": "Acme Law",
        "time_zone": "Europe/London",
        "country": "GB",
        "sms_help_text": "Call us on 020 7946 0018.",
    }
    response = as_role(Role.OWNER).post(url("org-settings"), data, follow=True)
    assert "Settings were saved." in response.content.decode()
    organization = Organization.objects.get(pk=org_a.organization.pk)
    assert (organization.name, organization.time_zone, organization.country) == (
        "Acme Law",
        "Europe/London",
        "GB",
    )


def test_settings_errors_are_beside_their_fields_and_save_nothing(
    as_role: Any, org_a: OrgWorld
) -> None:
    data = {"name": "", "time_zone": "Nowhere/Land", "country": "ZZ", "sms_help_text": "x" * 400}
    response = as_role(Role.OWNER).post(url("org-settings"), data)
    assert field_errors(response, "name") == "This field is required."
    assert field_errors(response, "time_zone").startswith("Select a valid choice.")
    assert field_errors(response, "country").startswith("Select a valid choice.")
    assert field_errors(response, "sms_help_text").startswith("Ensure this value has at most 320")
    assert Organization.objects.get(pk=org_a.organization.pk).name == "Acme Legal"


# Audit ---------------------------------------------------------------------------------


def test_audit_page_shows_who_changed_what_from_what_to_what(
    as_role: Any, org_a: OrgWorld, world_b: World
) -> None:
    # Catches the audit page losing the author (context not attached), the before value
    # (diff), or showing another organisation's changes (its tenant or global rows).
    client = as_role(Role.OWNER)
    agent = member(org_a, Role.AGENT)
    client.post(url("member-role", agent.pk), {"role": "supervisor"}, headers=HTMX)
    client.post(
        url("org-settings"),
        {"name": "Acme Law", "time_zone": "America/New_York", "country": "US"},
    )
    with tenant_context(world_b.org.organization):
        services.location_update(
            actor=world_b.org.tenant(), location=world_b.location, name="Globex Secret"
        )
    services.organization_update(actor=world_b.org.tenant(), name="Globex Renamed")

    response = as_role(Role.SUPERVISOR).get(url("audit"))
    body = response.content.decode()
    entries = response.context["page"].object_list
    role_change = next(e for e in entries if e.object_name == "agent@acme.test" and e.changes)
    assert role_change.who == "owner@acme.test"
    assert role_change.action == "Changed"
    assert [(c.field, c.before, c.after) for c in role_change.changes] == [
        ("role", "Agent", "Supervisor")
    ]
    assert "<del>Agent</del>" in body and "<ins>Supervisor</ins>" in body
    rename = next(e for e in entries if e.object_type == "Organisation" and e.changes)
    assert [(c.field, c.before, c.after) for c in rename.changes] == [
        ("name", "Acme Legal", "Acme Law")
    ]
    assert entries[0].when >= entries[-1].when
    assert "Globex" not in body


def test_audit_hides_api_key_last_use_bookkeeping(as_role: Any, world_a: World) -> None:
    # Catches every API call flooding the audit log with "last used" changes.
    assert _authenticates(world_a.org.organization, world_a.raw_key)
    entries = as_role(Role.OWNER).get(url("audit")).context["page"].object_list
    assert not [e for e in entries if e.object_type == "API key" and e.action == "Changed"]


# Sign-in pages -------------------------------------------------------------------------


def test_sign_in_pages_render(client: Any, as_role: Any) -> None:
    # Catches a missing registration template (Django falls back to admin's or fails).
    for path in ("/accounts/login/", "/accounts/password/reset/"):
        assert client.get(path).status_code == 200
    assert "Reset your password" in client.get("/accounts/password/reset/").content.decode()
    signed_in = as_role(Role.AGENT)
    assert signed_in.get("/accounts/password/change/").status_code == 200
    assert signed_in.post("/accounts/logout/").url == "/accounts/login/"


def test_sign_in_with_email_and_password(client: Any, org_a: OrgWorld) -> None:
    response = client.post(
        "/accounts/login/", {"username": "agent@acme.test", "password": PASSWORD}
    )
    assert response.url == "/"


def test_five_wrong_passwords_lock_the_account_with_an_explanation(
    client: Any, org_a: OrgWorld
) -> None:
    # Catches login throttling switched off, or the lockout page missing.
    for attempt in range(5):
        response = client.post(
            "/accounts/login/", {"username": "owner@acme.test", "password": f"bad-{attempt}"}
        )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "1 hour" in response.content.decode()
    response = client.post(
        "/accounts/login/", {"username": "owner@acme.test", "password": PASSWORD}
    )
    assert response.status_code == 429
