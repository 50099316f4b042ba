"""The schema keeps the tenancy rules (DESIGN.md §2): every table with an organisation
column is under forced row-level security with a policy, and every unique constraint on it
includes the organisation, so the Citus path stays open and no uniqueness leaks across
tenants."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from tenancy.managers import TenantModel

pytestmark = pytest.mark.django_db


def _tenant_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'organization_id' ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def test_every_tenant_model_has_an_organization_column():
    # Catches a tenant model whose table lost (or never had) its organisation column.
    tables = set(_tenant_tables())
    for model in apps.get_models():
        if issubclass(model, TenantModel):
            assert model._meta.db_table in tables, model


def test_there_are_tenant_tables_to_check():
    # Guards the tests below from passing on an empty list.
    assert "tenancy_location" in _tenant_tables()


def test_every_tenant_table_has_row_level_security_enabled_forced_and_a_policy():
    # Catches a new tenant table whose migration forgot EnableRowLevelSecurity.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "  EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid "
            "          AND pg_get_expr(p.polqual, p.polrelid) LIKE '%%organization_id%%' "
            "          AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%%organization_id%%') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY(%s)",
            [_tenant_tables()],
        )
        rows = cursor.fetchall()
    assert len(rows) == len(_tenant_tables())
    unprotected = [
        name for name, enabled, forced, policy in rows if not (enabled and forced and policy)
    ]
    assert unprotected == []


def test_every_unique_constraint_on_a_tenant_table_includes_the_organization():
    # Catches a unique constraint (or unique index) that would make one tenant's value
    # unavailable to another, or that Citus could not enforce per shard.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname, "
            "  bool_or(a.attname = 'organization_id') "
            "FROM pg_index x "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey) "
            "WHERE n.nspname = 'public' AND x.indisunique AND NOT x.indisprimary "
            "  AND t.relname = ANY(%s) "
            "GROUP BY t.relname, i.relname",
            [_tenant_tables()],
        )
        offenders = [(table, index) for table, index, has_org in cursor.fetchall() if not has_org]
    assert offenders == []
