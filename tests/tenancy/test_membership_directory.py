"""The membership directory (``MembershipDirectoryEntry``), the one table the organisation
switcher's cross-tenant function reads: every save of a membership keeps it, and a tenant
can write only its own rows (docs/scaling.md, "Coordinator directories")."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from tenancy import services
from tenancy.context import tenant_context
from tenancy.models import Membership, MembershipDirectoryEntry
from tenancy.resolution import member_organizations
from tenancy.roles import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_user_in_two_organisations_sees_both_and_loses_one_when_deactivated(org_a, org_b):
    # Catches member_set_active leaving the directory row active (the switcher would list an
    # organisation the person was removed from) or never restoring it on reactivation.
    user = org_a.user(Role.AGENT)
    with tenant_context(org_b.organization):
        in_b = MembershipFactory.create(organization=org_b.organization, user=user, role=Role.AGENT)
    assert member_organizations(user) == [org_a.organization, org_b.organization]
    with tenant_context(org_b.organization):
        services.member_set_active(actor=org_b.tenant(), membership=in_b, active=False)
    assert member_organizations(user) == [org_a.organization]
    with tenant_context(org_b.organization):
        services.member_set_active(actor=org_b.tenant(), membership=in_b, active=True)
    assert member_organizations(user) == [org_a.organization, org_b.organization]


def test_an_invited_member_finds_the_organisation(org_a):
    # Catches member_invite creating a membership the switcher cannot see.
    with tenant_context(org_a.organization):
        invited = services.member_invite(
            actor=org_a.tenant(), email="new.person@example.test", role=Role.AGENT
        )
    assert member_organizations(invited.user) == [org_a.organization]


def test_the_directory_matches_the_memberships(org_a, org_b):
    # Catches a way of saving memberships that skips the directory.
    for world in (org_a, org_b):
        with tenant_context(world.organization):
            expected = set(
                Membership.objects.values_list("organization_id", "user_id", "is_active")
            )
            stored = set(
                MembershipDirectoryEntry.objects.values_list(
                    "organization_id", "user_id", "is_active"
                )
            )
        assert stored == expected and len(expected) == len(Role)


def test_a_tenant_cannot_write_itself_into_another_organisation(org_a, org_b):
    # Catches the directory without its row-level security: a user of org A could be made
    # to appear in org B's switcher entry by the application role alone.
    with (
        tenant_context(org_a.organization),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
    ):
        MembershipDirectoryEntry.objects.create(
            organization_id=org_b.organization.pk, user_id=org_a.user().pk, is_active=True
        )
    assert member_organizations(org_a.user()) == [org_a.organization]
