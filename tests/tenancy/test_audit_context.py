"""The audit trail names the actor of each change, and only of the changes they made: an
audited block's context ends with the block, even when the transaction goes on."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tenancy.audit import audited
from tenancy.context import tenant_context
from tenancy.models import Location
from tenancy.roles import Role
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def _last_event_context(location: Location) -> dict[str, Any]:
    """The context of ``location``'s latest event; ``{}`` when it names nobody."""
    event = location.events.order_by("-pgh_id").first()  # type: ignore[attr-defined]
    return dict(event.pgh_context or {})


def test_a_write_after_an_audited_block_in_the_same_transaction_names_no_actor(org_a):
    # Catches the context outliving its block: pghistory and our SET LOCAL both last until
    # the transaction ends, so a later unaudited write was attributed to the earlier actor.
    with tenant_context(org_a.organization):
        first = LocationFactory.create(organization=org_a.organization, name="First")
        second = LocationFactory.create(organization=org_a.organization, name="Second")
        with transaction.atomic():
            with audited(org_a.tenant(Role.SUPERVISOR)):
                first.name = "First, renamed"
                first.save()
            second.name = "Second, renamed by a system job"
            second.save()
        assert _last_event_context(first)["actor"] == "supervisor@acme.test"
        assert _last_event_context(second) == {}


def test_an_inner_audited_block_leaves_the_outer_actor_in_place(org_a):
    # Catches the reset firing on an inner block's exit and dropping the outer actor.
    with tenant_context(org_a.organization):
        location = LocationFactory.create(organization=org_a.organization, name="Outer")
        with transaction.atomic(), audited(org_a.tenant(Role.OWNER)):
            with audited(org_a.tenant(Role.OWNER)):
                pass
            location.name = "Outer, renamed"
            location.save()
        assert _last_event_context(location)["actor"] == "owner@acme.test"
