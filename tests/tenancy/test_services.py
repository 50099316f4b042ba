"""Tenancy services: the business rules behind the member pages and API."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from tenancy import services
from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.roles import Role

pytestmark = pytest.mark.django_db(transaction=False)


def test_inviting_someone_with_an_account_elsewhere_emails_them(
    org_a, org_b, django_capture_on_commit_callbacks
):
    # Catches a person added silently to a second organisation, never told where it is.
    someone = org_b.user(Role.AGENT)
    with tenant_context(org_a.organization), django_capture_on_commit_callbacks(execute=True):
        services.member_invite(actor=org_a.tenant(), email=someone.email, role=Role.QA)
    assert len(mail.outbox) == 1
    assert "existing password" in mail.outbox[0].body
    assert "/o/acme/" in mail.outbox[0].body


def test_inviting_a_new_person_emails_a_password_link(org_a, django_capture_on_commit_callbacks):
    with tenant_context(org_a.organization), django_capture_on_commit_callbacks(execute=True):
        services.member_invite(actor=org_a.tenant(), email="New.Person@Example.test", role="qa")
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert mail.outbox[0].to == ["new.person@example.test"]


def test_reinviting_a_deactivated_member_points_to_reactivation(org_a):
    # Catches a confusing "already a member" for someone the owner cannot see as active.
    agent = org_a.members[Role.AGENT]
    with tenant_context(org_a.organization):
        services.member_set_active(actor=org_a.tenant(), membership=agent, active=False)
        with pytest.raises(ValidationError, match="reactivate"):
            services.member_invite(actor=org_a.tenant(), email=agent.user.email, role="agent")


def test_the_last_owner_cannot_be_demoted_or_deactivated(org_a):
    # Catches an organisation left with nobody able to manage members or keys.
    owner = org_a.members[Role.OWNER]
    supervisor_actor = org_a.tenant(Role.SUPERVISOR)
    with tenant_context(org_a.organization):
        with pytest.raises(ValidationError, match="at least one active owner"):
            services.member_change_role(actor=supervisor_actor, membership=owner, role="agent")
        with pytest.raises(ValidationError, match="at least one active owner"):
            services.member_set_active(actor=supervisor_actor, membership=owner, active=False)
        assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_one_owner_may_step_down_when_another_remains(org_a):
    second = org_a.members[Role.SUPERVISOR]
    with tenant_context(org_a.organization):
        services.member_change_role(actor=org_a.tenant(), membership=second, role=Role.OWNER)
        first = org_a.members[Role.OWNER]
        services.member_change_role(actor=org_a.tenant(), membership=first, role=Role.AGENT)
        assert Membership.objects.get(pk=first.pk).role == Role.AGENT


def test_saving_the_same_team_members_again_records_no_change(org_a):
    # Catches audit noise: an unchanged save (seed_demo, a double submit) deleting and
    # re-creating every team member row.
    from pghistory.models import Events

    from tests.factories import TeamFactory

    with tenant_context(org_a.organization):
        team = TeamFactory.create(organization=org_a.organization)
        members = [org_a.members[Role.AGENT], org_a.members[Role.QA]]
        services.team_set_members(actor=org_a.tenant(), team=team, memberships=members)
        before = Events.objects.references(org_a.organization).count()
        services.team_set_members(actor=org_a.tenant(), team=team, memberships=members)
        assert Events.objects.references(org_a.organization).count() == before
        services.team_set_members(actor=org_a.tenant(), team=team, memberships=members[::-1])
        assert Events.objects.references(org_a.organization).count() > before
