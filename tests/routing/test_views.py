"""Routing pages: who may see and change what, foreign objects as 404, forms that put
each error next to its field, and htmx partial updates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from foundation.phones import Problem, phone_message
from routing import services
from routing.models import AgentPresence, LocationRouting, RoutingVersion
from routing.views import item_key
from tenancy.context import tenant_context
from tenancy.roles import Role

pytestmark = pytest.mark.django_db

VIEWERS = {Role.OWNER, Role.SUPERVISOR, Role.LEADERSHIP}
MANAGERS = {Role.OWNER, Role.SUPERVISOR}
PRESENCE = {Role.OWNER, Role.SUPERVISOR, Role.AGENT}


def url(world, name, *args):
    return reverse(name, args=[world.organization.slug, *args])


def login(client, world, role):
    client.force_login(world.world.user(role))
    return client


def page_cases(world):
    loc = world.location.pk
    return [
        ("routing", (), VIEWERS),
        ("routing-presence", (), PRESENCE),
        ("routing-agents", (), MANAGERS),
        ("routing-notifications", (), VIEWERS),
        ("routing-location", (loc,), VIEWERS),
        ("routing-schedule", (loc,), MANAGERS),
        ("routing-tiers", (loc,), MANAGERS),
        ("routing-after-hours", (loc,), MANAGERS),
        ("routing-holidays", (loc,), MANAGERS),
        ("routing-alerts", (loc,), MANAGERS),
        ("routing-emergency", (loc,), MANAGERS),
        ("routing-preview", (loc,), VIEWERS),
        ("routing-coverage", (loc,), VIEWERS),
        ("routing-versions", (loc,), VIEWERS),
    ]


@pytest.mark.parametrize("role", list(Role))
def test_every_page_answers_by_role(client, routing_a, role):
    # Catches a page that forgets its capability check (or checks the wrong one).
    login(client, routing_a, role)
    for name, args, allowed in page_cases(routing_a):
        response = client.get(url(routing_a, name, *args))
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (name, role, response.status_code)


@pytest.mark.parametrize("role", list(Role))
def test_another_organisations_location_is_a_404_for_every_role(client, routing_a, routing_b, role):
    # Catches a lookup that is not tenant-scoped, or a 403 that reveals the id exists.
    login(client, routing_a, role)
    foreign = routing_b.location.pk
    for name in (
        "routing-location",
        "routing-schedule",
        "routing-preview",
        "routing-versions",
        "routing-publish",
        "routing-coverage",
    ):
        assert client.get(url(routing_a, name, foreign)).status_code == 404, name
        assert client.post(url(routing_a, name, foreign)).status_code == 404, name
    foreign_member = routing_b.member(Role.AGENT).pk
    assert client.post(url(routing_a, "routing-agent-edit", foreign_member)).status_code == 404


def test_another_organisations_version_is_a_404(client, routing_a, routing_b):
    # Catches another organisation's version readable or restorable by id.
    with tenant_context(routing_b.organization):
        version = _publish(routing_b)
    login(client, routing_a, Role.SUPERVISOR)
    assert client.get(url(routing_a, "routing-version", version.pk)).status_code == 404
    response = client.post(url(routing_a, "routing-version-restore", version.pk))
    assert response.status_code == 404


def test_organisation_the_user_is_not_a_member_of_is_a_404(client, routing_a, routing_b):
    # Catches routing pages of an organisation the user does not belong to.
    login(client, routing_a, Role.OWNER)
    assert client.get(url(routing_b, "routing")).status_code == 404


def test_huge_ids_are_a_404_not_a_database_error(client, routing_a):
    # Catches ids past the bigint range reaching PostgreSQL (a 500).
    login(client, routing_a, Role.SUPERVISOR)
    path = f"/o/{routing_a.organization.slug}/routing/locations/99999999999999999999999/"
    assert client.get(path).status_code == 404
    assert client.get(url(routing_a, "routing-location", 10**18 - 1)).status_code == 404


def _publish(world):
    doc = services.routing_for(world.location).draft
    doc["tiers"] = world.tiers()
    services.draft_save(actor=world.tenant(), location=world.location, document=doc)
    return services.routing_publish(actor=world.tenant(), location=world.location)


def _draft(world):
    with tenant_context(world.organization):
        return LocationRouting.objects.get(location=world.location).draft


def test_adding_a_lunch_break_splits_the_weekday_periods(client, routing_a):
    # Catches the break form not changing the draft.
    login(client, routing_a, Role.SUPERVISOR)
    client.get(url(routing_a, "routing-schedule", routing_a.location.pk))
    response = client.post(
        url(routing_a, "routing-break-add", routing_a.location.pk),
        {"break-days": ["0", "1", "2", "3", "4"], "break-start": "12:00", "break-end": "13:00"},
    )
    assert response.status_code == 302
    monday = [p for p in _draft(routing_a)["periods"] if p["day"] == 0]
    assert monday == [
        {"day": 0, "start": "09:00", "end": "12:00"},
        {"day": 0, "start": "13:00", "end": "17:00"},
    ]


def test_overlapping_period_is_a_field_error_and_the_draft_is_unchanged(client, routing_a):
    # Catches overlap errors that are lost (saved anyway) or not shown by the field.
    login(client, routing_a, Role.SUPERVISOR)
    client.get(url(routing_a, "routing-schedule", routing_a.location.pk))
    before = _draft(routing_a)
    response = client.post(
        url(routing_a, "routing-period-add", routing_a.location.pk),
        {"period-days": ["0"], "period-start": "16:00", "period-end": "18:00"},
    )
    assert response.status_code == 400
    form = response.context["period_form"]
    assert "Overlaps Monday 09:00–17:00." in form.errors["start"]
    assert _draft(routing_a) == before


def test_htmx_period_add_returns_the_editor_partial(client, routing_a):
    # Catches htmx receiving the whole page (nested layouts) or a stale draft badge.
    login(client, routing_a, Role.SUPERVISOR)
    response = client.post(
        url(routing_a, "routing-period-add", routing_a.location.pk),
        {"period-days": ["5"], "period-start": "10:00", "period-end": "14:00"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="schedule-editor"')
    assert "<html" not in body
    assert 'id="draft-status"' in body and "hx-swap-oob" in body


def test_tier_with_a_team_without_members_is_a_field_error(client, routing_a):
    # Catches the tier form accepting a team that can ring nobody.
    login(client, routing_a, Role.SUPERVISOR)
    response = client.post(
        url(routing_a, "routing-tier-add", routing_a.location.pk),
        {
            "kind": "team",
            "team_id": routing_a.empty_team.pk,
            "strategy": "in_order",
            "ring_timeout_seconds": "20",
            "move_on": ["no_answer"],
        },
    )
    assert response.status_code == 400
    assert "Empty Team has no members" in response.context["tier_form"].errors["team_id"][0]


def test_overflow_threshold_zero_is_a_field_error(client, routing_a):
    # Catches the overflow form accepting 0 seconds.
    login(client, routing_a, Role.SUPERVISOR)
    response = client.post(
        url(routing_a, "routing-overflow", routing_a.location.pk),
        {"max_wait_seconds": "0", "target_kind": "voicemail"},
    )
    assert response.status_code == 400
    errors = response.context["overflow_form"].errors
    assert "greater than 0" in errors["max_wait_seconds"][0]


def test_a_bad_backup_number_shows_the_shared_phone_message(client, routing_a):
    # Catches the routing forms keeping a phone parser (and messages) of their own, or
    # reading national numbers in another country than the organisation's.
    login(client, routing_a, Role.SUPERVISOR)
    data = {"max_wait_seconds": "60", "target_kind": "number", "target_name": "Backup"}
    response = client.post(
        url(routing_a, "routing-overflow", routing_a.location.pk),
        {**data, "target_number": "212 555 01"},
    )
    assert response.status_code == 400
    assert response.context["overflow_form"].errors["target_number"] == [
        phone_message(Problem.INVALID, region="US")
    ]
    response = client.post(
        url(routing_a, "routing-overflow", routing_a.location.pk),
        {**data, "target_number": "(312) 555-0199"},
    )
    assert response.status_code == 302
    assert _draft(routing_a)["overflow"]["target"]["number"] == "+13125550199"


def test_overflow_to_the_same_queue_is_refused_by_the_form(client, routing_a):
    # Catches a forged form post creating an overflow loop.
    # The form only offers other locations; a forged post names this one.
    login(client, routing_a, Role.SUPERVISOR)
    response = client.post(
        url(routing_a, "routing-overflow", routing_a.location.pk),
        {
            "max_wait_seconds": "60",
            "target_kind": "location",
            "target_location_id": routing_a.location.pk,
        },
    )
    assert response.status_code == 400
    assert "target_location_id" in response.context["overflow_form"].errors


def test_publish_preview_and_restore_through_the_pages(client, routing_a):
    # Catches the publish, preview or restore buttons not reaching their services.
    login(client, routing_a, Role.SUPERVISOR)
    loc = routing_a.location.pk
    response = client.post(
        url(routing_a, "routing-tier-add", loc),
        {
            "kind": "team",
            "team_id": routing_a.frontline.pk,
            "strategy": "in_order",
            "ring_timeout_seconds": "20",
            "move_on": ["no_answer", "busy", "no_agent_available"],
        },
    )
    assert response.status_code == 302
    response = client.post(url(routing_a, "routing-publish", loc), {"note": "First"})
    assert response.status_code == 302
    with tenant_context(routing_a.organization):
        first = RoutingVersion.objects.get()
    assert first.note == "First"
    first_period = item_key(_draft(routing_a)["periods"][0])
    client.post(url(routing_a, "routing-period-delete", loc, 0), {"expected": first_period})
    client.post(url(routing_a, "routing-publish", loc))
    response = client.post(
        url(routing_a, "routing-preview", loc),
        {
            "date": "2026-06-01",
            "time": "10:00",
            "waiting": "0",
            "longest_wait_seconds": "0",
            "presence_mode": "all_available",
            "source": "published",
        },
    )
    assert response.status_code == 200
    assert "Closed — Monday 10:00" in response.context["result"].decision.explanation
    assert "<Response>" in response.content.decode() or "&lt;Response&gt;" in (
        response.content.decode()
    )
    assert client.get(url(routing_a, "routing-version", first.pk)).status_code == 200
    response = client.post(url(routing_a, "routing-version-restore", first.pk))
    assert response.status_code == 302
    with tenant_context(routing_a.organization):
        assert RoutingVersion.objects.count() == 3
    page = client.get(url(routing_a, "routing-versions", loc)).content.decode()
    assert "Monday: closed → 09:00–17:00" in page  # the restore undid the removal


def test_publish_with_problems_publishes_nothing_and_says_why(client, routing_a):
    # Catches a publish that fails silently or publishes invalid rules.
    login(client, routing_a, Role.SUPERVISOR)
    response = client.post(url(routing_a, "routing-publish", routing_a.location.pk), follow=True)
    with tenant_context(routing_a.organization):
        assert not RoutingVersion.objects.exists()
    assert "Not published — Tiers: Nobody answers while open" in response.content.decode()


def test_preview_refuses_absurd_dates_and_negative_queues(client, routing_a):
    # Catches absurd preview input reaching the engine.
    login(client, routing_a, Role.LEADERSHIP)
    response = client.post(
        url(routing_a, "routing-preview", routing_a.location.pk),
        {
            "date": "1066-10-14",
            "time": "10:00",
            "waiting": "-1",
            "longest_wait_seconds": "0",
            "presence_mode": "live",
            "source": "draft",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"date", "waiting"}


def test_emergency_closure_from_the_page(client, routing_a):
    # Catches an emergency closure a year long accepted from the page.
    login(client, routing_a, Role.SUPERVISOR)
    loc = routing_a.location.pk
    response = client.post(
        url(routing_a, "routing-emergency", loc),
        {"message": "Closed today.", "until": "2999-01-01T10:00"},
    )
    assert response.status_code == 400
    assert "at most 30 days" in response.context["form"].errors["until"][0]


def test_agent_sets_presence_instantly_with_htmx(client, routing_a):
    # Catches the presence buttons answering with a full page, or not saving.
    login(client, routing_a, Role.AGENT)
    response = client.post(
        url(routing_a, "routing-presence"),
        {"status": "available"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'data-testid="presence-current">Available' in response.content.decode()
    with tenant_context(routing_a.organization):
        status = AgentPresence.objects.get(membership=routing_a.member(Role.AGENT)).status
    assert status == "available"


def test_agent_dial_target_is_normalised_to_e164(client, routing_a):
    # Catches national numbers stored as typed (Twilio needs E.164).
    login(client, routing_a, Role.SUPERVISOR)
    member = routing_a.member(Role.QA)
    response = client.post(
        url(routing_a, "routing-agent-edit", member.pk),
        {f"m{member.pk}-phone": "(212) 555-0177", f"m{member.pk}-client_identity": ""},
    )
    assert response.status_code == 302
    with tenant_context(routing_a.organization):
        from routing.models import AgentProfile

        assert AgentProfile.objects.get(membership=member).phone == "+12125550177"


def test_remove_acts_only_on_the_item_the_person_saw(client, routing_a):
    # Catches index-based removal deleting a different period after a concurrent edit.
    login(client, routing_a, Role.SUPERVISOR)
    loc = routing_a.location.pk
    client.get(url(routing_a, "routing-schedule", loc))
    before = _draft(routing_a)
    stale = item_key({"day": 6, "start": "09:00", "end": "17:00"})
    response = client.post(url(routing_a, "routing-period-delete", loc, 0), {"expected": stale})
    assert response.status_code == 302
    assert _draft(routing_a) == before
    response = client.post(url(routing_a, "routing-tier-delete", loc, 3), {"expected": stale})
    assert response.status_code == 302
