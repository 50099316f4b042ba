"""Intake's menu entries appear exactly for the roles whose capability their page checks."""

from __future__ import annotations

import pytest

import intake.navigation
from tenancy.navigation import navigation_for
from tenancy.roles import Role
from tests.conftest import OrgWorld

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_intake_entries_appear_only_for_roles_with_their_capability(
    org_a: OrgWorld, role: Role
) -> None:
    # Catches a link shown to a role that would get a 403 behind it, or hidden from one
    # that may use it (an agent must find the calls; QA the review queue).
    tenant = org_a.tenant(role)
    shown = {item.label for section in navigation_for(tenant, None) for item in section.items}
    for entry in intake.navigation.ENTRIES:
        assert (entry.label in shown) == tenant.can(entry.capability), entry.label
    expected_home = {
        Role.AGENT: "Calls and intakes",
        Role.QA: "QA review",
        Role.LEADERSHIP: "QA accuracy",
    }.get(role)
    if expected_home:
        assert expected_home in shown
