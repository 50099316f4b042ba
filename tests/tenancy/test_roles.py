"""Each app grants its own capabilities to roles (tenancy.roles.grant): tenancy names none of
another app's, and a clash or a forgotten grant is refused instead of silently denying."""

from __future__ import annotations

from enum import StrEnum

import pytest
from django.core.exceptions import ImproperlyConfigured

from routing.capabilities import RoutingCapability
from tenancy import roles
from tenancy.roles import CAPABILITIES, Capability, Role, grant, role_can


class ReportsCapability(StrEnum):
    VIEW_REPORTS = "test_view_reports"
    CLASHING = "view_routing"
    NEVER_GRANTED = "test_never_granted"


@pytest.fixture
def restore_table():
    saved = dict(CAPABILITIES)
    yield
    CAPABILITIES.clear()
    CAPABILITIES.update(saved)


def test_routing_grants_its_capabilities_from_its_own_module() -> None:
    # Catches routing's capabilities moving back into tenancy's enum, or the app's module
    # not being collected at startup (every routing page would then raise).
    assert not hasattr(Capability, "VIEW_ROUTING")
    assert role_can(Role.LEADERSHIP, RoutingCapability.VIEW_ROUTING)
    assert not role_can(Role.LEADERSHIP, RoutingCapability.MANAGE_ROUTING)
    assert role_can(Role.AGENT, RoutingCapability.SET_OWN_PRESENCE)
    assert not role_can(Role.QA, RoutingCapability.SET_OWN_PRESENCE)


def test_a_new_app_grants_capabilities_without_editing_tenancy(restore_table) -> None:
    grant({ReportsCapability.VIEW_REPORTS: {Role.OWNER, Role.LEADERSHIP}})

    assert role_can(Role.LEADERSHIP, ReportsCapability.VIEW_REPORTS)
    assert not role_can(Role.AGENT, ReportsCapability.VIEW_REPORTS)
    assert not role_can(None, ReportsCapability.VIEW_REPORTS)


def test_granting_the_same_capability_again_with_the_same_roles_is_harmless(restore_table):
    # A module imported twice (tests, reloads) grants again; only a disagreement is an error.
    grant({RoutingCapability.MANAGE_ROUTING: {Role.OWNER, Role.SUPERVISOR}})
    assert roles.roles_with(RoutingCapability.MANAGE_ROUTING) == {Role.OWNER, Role.SUPERVISOR}


def test_two_apps_choosing_one_capability_name_is_refused(restore_table) -> None:
    # Catches a later app silently widening or narrowing routing's capability.
    with pytest.raises(ImproperlyConfigured, match="granted twice"):
        grant({ReportsCapability.CLASHING: {Role.AGENT}})
    assert not role_can(Role.AGENT, RoutingCapability.VIEW_ROUTING)


def test_a_capability_never_granted_is_a_clear_error_not_a_silent_denial() -> None:
    with pytest.raises(ImproperlyConfigured, match="never granted"):
        role_can(Role.OWNER, ReportsCapability.NEVER_GRANTED)
