"""The schema keeps the tenancy rules (docs/architecture.md): every table with an organisation
column is under forced row-level security with a policy, every unique constraint, primary
key and foreign key between tenant tables includes the organisation, so the Citus path
stays open and no uniqueness leaks across tenants; on Citus, every tenant table is
distributed on it, every global table is a reference table, and the few listed coordinator
directories that the cross-tenant lookups read stay plain tables on the coordinator."""

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


# Every table without an organisation column, with why it may be read without a tenant or
# how it is protected. Tables with the column are tenant tables, covered by the tests above.
GLOBAL_TABLES: dict[str, str] = {
    "auth_group": "global: Django's groups, unused, no tenant data",
    "auth_group_permissions": "global: no tenant data",
    "auth_permission": "global: Django's permission names",
    "auth_user": "global identity: a person may belong to several organisations; the "
    "application reads a user only through their own session or a membership",
    "auth_user_groups": "global: unused",
    "auth_user_user_permissions": "global: unused",
    "axes_accessattempt": "sign-in security: usernames and addresses, no organisation",
    "axes_accessattemptexpiration": "sign-in security",
    "axes_accessfailurelog": "sign-in security",
    "axes_accesslog": "sign-in security",
    "django_admin_log": "staff-only admin, which registers no tenant model",
    "django_content_type": "global: model names",
    "django_migrations": "global: schema history",
    "django_session": "a session is its user's own; the key is the secret",
    "tenancy_organization": "the tenants themselves: a member resolves only their own "
    "organisations (tenancy/resolution.py)",
    "tenancy_organizationevent": "ROW LEVEL SECURITY on pgh_obj_id: an organisation's "
    "history is its own",
    "pghistory_context": "ROW LEVEL SECURITY with no policy: closed to the application, "
    "which keeps each event's context on the event row",
}


def _global_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT EXISTS ("
            "  SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
            "  AND a.attname = 'organization_id' AND NOT a.attisdropped)"
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_table_without_an_organisation_column_is_listed_with_its_protection():
    # Catches a new table holding tenant data under another column name (or none), which
    # the tenant-table checks above would never look at.
    assert _global_tables() == set(GLOBAL_TABLES)


def _row_security(table: str) -> tuple[bool, bool, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, "
            "  ARRAY(SELECT pg_get_expr(p.polqual, p.polrelid) || ' / ' "
            "        || pg_get_expr(p.polwithcheck, p.polrelid) "
            "        FROM pg_policy p WHERE p.polrelid = c.oid) "
            "FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [table],
        )
        enabled, forced, policies = cursor.fetchone()
    return enabled, forced, list(policies)


@pytest.mark.parametrize(
    "table", sorted(t for t, why in GLOBAL_TABLES.items() if why.startswith("ROW LEVEL"))
)
def test_each_global_table_said_to_be_under_row_level_security_is(table: str):
    enabled, forced, policies = _row_security(table)
    assert (enabled, forced) == (True, True)
    if "no policy" in GLOBAL_TABLES[table]:
        assert policies == []
    else:
        keyed = "pgh_obj_id = (NULLIF(current_setting('app.organization_id'"
        assert len(policies) == 1 and policies[0].count(keyed) == 2


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


# The Citus rules (tenancy/distribution.py, docs/scaling.md). They are checked on plain
# PostgreSQL too, where the keys have the same shape, so a new app that forgets its
# DistributeTenantTable lines fails here first; on Citus (bin/test-citus) the distribution
# itself is checked as well.


def _citus() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        return bool(cursor.fetchone()[0])


def test_every_tenant_table_has_a_primary_key_that_leads_with_the_organization():
    # Catches a tenant table without DistributeTenantTable: Citus can only enforce a key
    # that includes the distribution column.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, a.attname FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'p' AND t.relname = ANY(%s)",
            [_tenant_tables()],
        )
        leading = dict(cursor.fetchall())
    assert {table: leading.get(table) for table in _tenant_tables()} == dict.fromkeys(
        _tenant_tables(), "organization_id"
    )


def test_every_foreign_key_between_tenant_tables_includes_the_organization_on_both_sides():
    # Catches a key on id alone between two tenant tables (a new ForeignKey added after the
    # distribution, or a table whose operation is missing): Citus refuses it, and it would
    # let one tenant's row point at another's.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname, "
            "  (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid "
            "   AND attnum = c.conkey[1]), "
            "  (SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid "
            "   AND attnum = c.confkey[1]) "
            "FROM pg_constraint c WHERE c.contype = 'f' "
            "AND c.conrelid::regclass::text = ANY(%s) AND c.confrelid::regclass::text = ANY(%s)",
            [_tenant_tables(), _tenant_tables()],
        )
        offenders = [
            name
            for name, source, target in cursor.fetchall()
            if (source, target) != ("organization_id", "organization_id")
        ]
    assert offenders == []


def test_every_foreign_key_field_between_tenant_models_is_enforced_by_the_database():
    # Catches a relation whose key a distribution operation dropped and nothing added back
    # (an operation missing or out of order): integrity would silently rest on the ORM.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, "
            "  (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid "
            "   AND attnum = c.conkey[array_length(c.conkey, 1)]) "
            "FROM pg_constraint c WHERE c.contype = 'f'"
        )
        enforced = set(cursor.fetchall())
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if issubclass(model, TenantModel)
        for field in model._meta.local_fields
        if field.remote_field is not None
        and getattr(field, "db_constraint", False)
        and (model._meta.db_table, field.column) not in enforced
    ]
    assert missing == []


# The cross-tenant lookups' tables (docs/scaling.md, "Coordinator directories"): plain tables
# that stay on the Citus coordinator, where the SECURITY DEFINER functions read them without
# opening worker connections. A table belongs here only if a definer function reads it.
COORDINATOR_DIRECTORIES = {
    "scheduling_dueorganization",
    "telephony_numberdirectory",
    "tenancy_membershipdirectory",
}


def test_the_coordinator_directories_exist_and_carry_the_organization():
    # Guards the directory checks below from passing on a renamed or dropped table, and
    # catches a directory without the column its row-level security policy reads.
    assert set(_tenant_tables()) >= COORDINATOR_DIRECTORIES


def test_no_coordinator_directory_has_a_foreign_key():
    # Catches a key from a directory to a global table: on Citus a key to a reference table
    # turns the directory into a Citus local table, which the definer functions could no
    # longer read without worker connections as their NOLOGIN owner.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname FROM pg_constraint c WHERE c.contype = 'f' "
            "AND (c.conrelid::regclass::text = ANY(%s) OR c.confrelid::regclass::text = ANY(%s))",
            [sorted(COORDINATOR_DIRECTORIES), sorted(COORDINATOR_DIRECTORIES)],
        )
        assert cursor.fetchall() == []


def test_on_citus_every_table_is_distributed_a_reference_table_or_a_coordinator_directory():
    # Catches a table left on the coordinator alone: a tenant table its queries could not
    # route to a shard, a global table the workers could not join with, or a directory
    # that Citus converted (the definer functions would then fail on the workers).
    if not _citus():
        pytest.skip("plain PostgreSQL: no distribution to check (bin/test-citus checks it)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, p.partmethod::text, p.repmodel::text, "
            "  column_to_column_name(p.logicalrelid, p.partkey), p.colocationid "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND c.relname <> 'django_migrations'"
        )
        rows = cursor.fetchall()
    tenant = set(_tenant_tables()) - COORDINATOR_DIRECTORIES
    wrong = [
        name
        for name, method, replication, column, _group in rows
        if (name in tenant and (method, column) != ("h", "organization_id"))
        or (name in COORDINATOR_DIRECTORIES and method is not None)
        or (
            name not in tenant
            and name not in COORDINATOR_DIRECTORIES
            and (method, replication) != ("n", "t")
        )
    ]
    assert wrong == []
    assert {name for name, *_ in rows} >= COORDINATOR_DIRECTORIES
    groups = {group for name, method, _r, _c, group in rows if name in tenant}
    assert len(groups) == 1, "tenant tables in more than one co-location group"
