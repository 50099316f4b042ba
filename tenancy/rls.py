"""Row-level security as a migration operation, one line per tenant table.

Every tenant table gets RLS enabled *and forced* (so the table owner is filtered too) and one
policy whose USING and WITH CHECK compare ``organization_id`` with the transaction-local
setting. ``NULLIF`` matters: after a transaction-local set, the setting reads '' (not NULL)
for the rest of the connection's life (RLS-NOTES.md).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

POLICY = "tenant_isolation"
TENANT_PREDICATE = (
    "organization_id = NULLIF(current_setting('app.organization_id', true), '')::bigint"
)


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str) -> None:
        self.table = table

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table = schema_editor.quote_name(self.table)
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY {POLICY} ON {table} "
            f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
        )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table = schema_editor.quote_name(self.table)
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable and force row-level security on {self.table}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})


class GrantAppRole(migrations.operations.base.Operation):
    """Give the run-time role DML on every table and sequence, now and for tables created
    later by the migrating role; the run-time role never owns a table, so it cannot turn
    row-level security off."""

    reversible = True
    reduces_to_sql = True

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        from django.conf import settings

        role = schema_editor.quote_name(settings.DATABASE_APP_ROLE)
        for statement in (
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ):
            schema_editor.execute(statement)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        pass

    def describe(self) -> str:
        return "Grant the application role DML on all tables"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {})


class CreateDefinerFunction(migrations.operations.base.Operation):
    """A narrow SECURITY DEFINER function for one cross-tenant read.

    It is owned by the NOLOGIN, BYPASSRLS definer role, which may only SELECT ``table``;
    only the run-time role may execute it. A definer function owned by the table owner would
    return no rows, since FORCE applies to the owner too (RLS-NOTES.md).
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, name: str, signature: str, returns: str, body: str, table: str) -> None:
        self.name, self.signature, self.returns, self.body, self.table = (
            name,
            signature,
            returns,
            body,
            table,
        )

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        from django.conf import settings

        definer = schema_editor.quote_name(settings.DATABASE_DEFINER_ROLE)
        app = schema_editor.quote_name(settings.DATABASE_APP_ROLE)
        table = schema_editor.quote_name(self.table)
        function = f"{self.name}({self.signature})"
        for statement in (
            f"GRANT USAGE, CREATE ON SCHEMA public TO {definer}",
            f"GRANT SELECT ON {table} TO {definer}",
            f"CREATE FUNCTION {self.name}({self.signature}) RETURNS {self.returns} "
            f"LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public "
            f"AS $fn$ {self.body} $fn$",
            f"ALTER FUNCTION {function} OWNER TO {definer}",
            f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION {function} TO {app}",
        ):
            schema_editor.execute(statement)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        from django.conf import settings

        definer = schema_editor.quote_name(settings.DATABASE_DEFINER_ROLE)
        table = schema_editor.quote_name(self.table)
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {self.name}({self.signature})")
        schema_editor.execute(f"REVOKE SELECT ON {table} FROM {definer}")

    def describe(self) -> str:
        return f"Create SECURITY DEFINER function {self.name}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [self.name, self.signature, self.returns, self.body, self.table],
            {},
        )
