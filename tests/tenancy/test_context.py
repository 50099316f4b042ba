"""The tenant manager: the application-level layer of isolation."""

from __future__ import annotations

import pytest

from tenancy.context import TenantContextMissing, tenant_context
from tenancy.models import Location
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_querying_a_tenant_model_without_a_tenant_raises(org_a):
    # Catches a default manager that silently returns everything (or nothing) unscoped.
    with pytest.raises(TenantContextMissing):
        list(Location.objects.all())


def test_manager_filters_by_the_tenant_in_context(org_a, org_b):
    with tenant_context(org_a.organization):
        LocationFactory(organization=org_a.organization, name="A1")
    with tenant_context(org_b.organization):
        LocationFactory(organization=org_b.organization, name="B1")
        assert list(Location.objects.values_list("name", flat=True)) == ["B1"]
        # The escape hatch drops the application filter; row-level security still holds.
        assert list(Location.objects.unscoped().values_list("name", flat=True)) == ["B1"]


def test_create_takes_the_organization_from_context(org_a):
    with tenant_context(org_a.organization):
        location = Location.objects.create(name="Made here", time_zone="UTC")
    assert location.organization_id == org_a.organization.pk
