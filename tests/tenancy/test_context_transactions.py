"""The tenant context as the outermost transaction, the way webhooks, requests and tasks
run it (the other tenancy tests run inside the test's own transaction, where the context
takes the nested path). Here BEGIN and the tenant's setting go in one round trip."""

from __future__ import annotations

import pytest
from django.db import connection

from tenancy.context import tenant_context
from tenancy.models import Location
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.organization_id', true)")
        return str(cursor.fetchone()[0] or "")


def _location_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM tenancy_location")
        return {row[0] for row in cursor.fetchall()}


def test_the_outermost_context_opens_a_transaction_as_its_tenant(org_a, org_b):
    # Catches the one-round-trip BEGIN setting no tenant, the wrong one, or a setting that
    # outlives the transaction (the next unit of work on the connection would inherit it).
    with tenant_context(org_a.organization):
        LocationFactory(organization=org_a.organization, name="Acme Downtown")
    with tenant_context(org_b.organization):
        LocationFactory(organization=org_b.organization, name="Globex Uptown")
    assert not connection.in_atomic_block
    with tenant_context(org_a.organization):
        assert connection.in_atomic_block
        assert _setting() == str(org_a.organization.pk)
        assert _location_names() == {"Acme Downtown"}
    assert _setting() == ""
    assert _location_names() == set()


def test_an_error_in_the_outermost_context_rolls_everything_back(org_a):
    # Catches a BEGIN that psycopg or Django lost track of: work after an error committed.
    with pytest.raises(RuntimeError), tenant_context(org_a.organization):
        Location.objects.create(name="Half-written", time_zone="UTC")
        raise RuntimeError("the webhook failed")
    with tenant_context(org_a.organization):
        assert not Location.objects.filter(name="Half-written").exists()


def test_a_nested_context_inside_the_outermost_one_restores_the_outer_tenant(org_a, org_b):
    # Catches the nested path (a statement of its own) broken by the outer one's shortcut.
    with tenant_context(org_a.organization):
        with tenant_context(org_b.organization):
            assert _setting() == str(org_b.organization.pk)
        assert _setting() == str(org_a.organization.pk)
