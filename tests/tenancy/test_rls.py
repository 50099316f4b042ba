"""Row-level security, checked with raw SQL as the application role: the last line of
defence holds even when the ORM's tenant filter is bypassed or forgotten."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from tenancy.context import tenant_context
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def _names(sql: str, params: list[int] | None = None) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def two_tenants_with_locations(org_a, org_b):
    with tenant_context(org_a.organization):
        LocationFactory(organization=org_a.organization, name="Acme Downtown")
    with tenant_context(org_b.organization):
        LocationFactory(organization=org_b.organization, name="Globex Uptown")
    return org_a, org_b


def test_runs_as_a_role_that_row_level_security_applies_to():
    # Catches tests (or the app) running as a superuser or BYPASSRLS role, which would make
    # every RLS assertion below pass vacuously.
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_no_tenant_set_sees_no_rows(two_tenants_with_locations):
    # Catches a policy that treats a missing setting as "all tenants".
    assert _names("SELECT name FROM tenancy_location") == set()
    assert _names("SELECT role FROM tenancy_membership") == set()


def test_tenant_sees_only_its_own_rows(two_tenants_with_locations):
    # Catches a policy that is missing, permissive or keyed on the wrong column.
    org_a, org_b = two_tenants_with_locations
    with tenant_context(org_a.organization):
        assert _names("SELECT name FROM tenancy_location") == {"Acme Downtown"}
        assert (
            _names(
                "SELECT name FROM tenancy_location WHERE organization_id = %s",
                [org_b.organization.pk],
            )
            == set()
        )
    with tenant_context(org_b.organization):
        assert _names("SELECT name FROM tenancy_location") == {"Globex Uptown"}


def test_inserting_a_row_for_another_tenant_fails(two_tenants_with_locations):
    # Catches a policy without WITH CHECK: A could write rows into B.
    org_a, org_b = two_tenants_with_locations
    with (
        tenant_context(org_a.organization),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO tenancy_location (organization_id, name, time_zone, address, phone,"
            " is_active, created_at) VALUES (%s, 'Planted', 'UTC', '', '', true, now())",
            [org_b.organization.pk],
        )


def test_updating_rows_of_another_tenant_touches_nothing(two_tenants_with_locations):
    org_a, org_b = two_tenants_with_locations
    with tenant_context(org_a.organization), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenancy_location SET name = 'hijacked' WHERE organization_id = %s",
            [org_b.organization.pk],
        )
        assert cursor.rowcount == 0


def test_app_role_cannot_switch_row_level_security_off():
    # Catches the app role owning tables: an owner can ALTER TABLE … NO FORCE and see all.
    with (
        pytest.raises(DatabaseError, match="must be owner"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("ALTER TABLE tenancy_location NO FORCE ROW LEVEL SECURITY")


def test_nested_tenant_context_restores_the_outer_tenant(two_tenants_with_locations):
    # Catches a setting that leaks out of a nested context (it outlives the savepoint).
    org_a, org_b = two_tenants_with_locations
    with tenant_context(org_a.organization):
        with tenant_context(org_b.organization):
            assert _names("SELECT name FROM tenancy_location") == {"Globex Uptown"}
        assert _names("SELECT name FROM tenancy_location") == {"Acme Downtown"}


def test_an_organisations_history_is_visible_only_to_itself(org_a, org_b):
    # Catches the organisations' audit table readable across tenants (names, slugs and
    # help texts of every customer), as it was before it had its own policy.
    with tenant_context(org_a.organization):
        assert _names("SELECT slug FROM tenancy_organizationevent") == {"acme"}
    assert _names("SELECT slug FROM tenancy_organizationevent") == set()


def test_an_organisations_history_cannot_be_written_for_another(org_a, org_b):
    with (
        tenant_context(org_a.organization),
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO tenancy_organizationevent (pgh_created_at, pgh_label, pgh_obj_id, "
            "id, name, slug, time_zone, country, sms_help_text, is_active, created_at) "
            "SELECT now(), 'update', id, id, 'Hijacked', slug, time_zone, country, "
            "sms_help_text, is_active, created_at FROM tenancy_organization WHERE id = %s",
            [org_b.organization.pk],
        )


def test_pghistorys_shared_context_table_is_closed_to_the_application(org_a):
    # Catches the shared context table (actors' names and ids of every organisation)
    # readable by the run-time role; nothing in the application needs it.
    with tenant_context(org_a.organization), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pghistory_context")
        assert cursor.fetchone() == (0,)
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute(
                "INSERT INTO pghistory_context (id, created_at, updated_at, metadata) "
                "VALUES (gen_random_uuid(), now(), now(), '{}')"
            )
