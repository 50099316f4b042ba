"""Row-level security as a migration operation, one line per tenant table.

Every tenant table gets RLS enabled *and forced* (so the table owner is filtered too) and one
policy whose USING and WITH CHECK compare ``organization_id`` with the transaction-local
setting. ``NULLIF`` matters: after a transaction-local set, the setting reads '' (not NULL)
for the rest of the connection's life (docs/architecture.md, "Row-level security").
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

POLICY = "tenant_isolation"
TENANT_PREDICATE = (
    "organization_id = NULLIF(current_setting('app.organization_id', true), '')::bigint"
)


def tenant_predicate(column: str = "organization_id") -> str:
    return TENANT_PREDICATE.replace("organization_id", column, 1)


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, column: str = "organization_id") -> None:
        # ``column``: the organisation's id in a table that names it otherwise (an audit
        # table of the organisations themselves keys events by ``pgh_obj_id``).
        self.table = table
        self.column = column
        self.policy = True

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table = schema_editor.quote_name(self.table)
        predicate = tenant_predicate(self.column)
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        if self.policy:
            schema_editor.execute(
                f"CREATE POLICY {POLICY} ON {table} USING ({predicate}) WITH CHECK ({predicate})"
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
        kwargs = {} if self.column == "organization_id" else {"column": self.column}
        return (self.__class__.__qualname__, [self.table], kwargs)


class DenyAll(EnableRowLevelSecurity):
    """Row-level security enabled and forced with no policy: no row is visible or writable
    to the run-time role or the owner (superusers and BYPASSRLS roles excepted). For a
    table that holds other tenants' data and that nothing in the application reads."""

    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.policy = False

    def describe(self) -> str:
        return f"Deny every row of {self.table} to all but superusers"

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


def _create_function_sql(name: str, signature: str, returns: str, body: str) -> str:
    # PL/pgSQL, not SQL: Citus cannot plan a SQL function's parameters inside its query
    # ("could not create distributed plan"); a PL/pgSQL query it plans with the values.
    # Output columns named like table columns must not shadow them in the query.
    return (
        f"CREATE OR REPLACE FUNCTION {name}({signature}) RETURNS {returns} "
        f"LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public "
        f"AS $fn$ #variable_conflict use_column\nBEGIN RETURN QUERY {body}; END $fn$"
    )


class CreateDefinerFunction(migrations.operations.base.Operation):
    """A narrow SECURITY DEFINER function for one cross-tenant read.

    It is owned by the NOLOGIN, BYPASSRLS definer role, which may only SELECT ``table``;
    only the run-time role may execute it. A definer function owned by the table owner would
    return no rows, since FORCE applies to the owner too.
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
            _create_function_sql(self.name, self.signature, self.returns, self.body),
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


def _argument_types(signature: str) -> str:
    """``p_user_id bigint, p_e164 text`` → ``bigint, text`` (what regprocedure reads)."""
    return ", ".join(part.split()[-1] for part in signature.split(",") if part.strip())


class RewriteDefinerFunctionInPlpgsql(migrations.operations.base.Operation):
    """Rewrite a definer function made in SQL by an earlier ``CreateDefinerFunction`` in
    PL/pgSQL, with the same body, owner and grants (Citus cannot run the SQL one)."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, name: str, signature: str) -> None:
        self.name, self.signature = name, signature

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT l.lanname, p.prosrc, pg_get_function_result(p.oid) FROM pg_proc p "
                "JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = to_regprocedure(%s)",
                [f"{self.name}({_argument_types(self.signature)})"],
            )
            row = cursor.fetchone()
        if row is None or row[0] != "sql":
            return
        _language, body, returns = row
        body = body.strip().rstrip(";")
        schema_editor.execute(_create_function_sql(self.name, self.signature, returns, body))

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        pass

    def describe(self) -> str:
        return f"Rewrite SECURITY DEFINER function {self.name} in PL/pgSQL"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.name, self.signature], {})


def copy_into_directory(schema_editor: Any, *, select: str, insert: str, columns: int) -> None:
    """Backfill a coordinator directory (docs/scaling.md) from its tenant tables, in a data
    migration: for each organisation, set it as the tenant and copy the rows ``select``
    returns with ``insert`` (``columns`` placeholders).

    The migrating role is filtered by forced row-level security like anyone else, so
    without a tenant the select would return nothing. ``SET LOCAL`` rather than
    ``set_config``: on Citus only the former reaches the workers that hold the shards. The
    rows are copied through Python because the directory is a plain table on the
    coordinator and the source is distributed.
    """
    placeholders = ", ".join(["%s"] * columns)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tenancy_organization ORDER BY id")
        organizations = [row[0] for row in cursor.fetchall()]
        for organization_id in organizations:
            cursor.execute(f"SET LOCAL app.organization_id = '{int(organization_id)}'")
            cursor.execute(select)
            rows = cursor.fetchall()
            if rows:
                cursor.executemany(f"{insert} VALUES ({placeholders})", rows)
        cursor.execute("SET LOCAL app.organization_id = ''")


class RevokeDefinerSelect(migrations.operations.base.Operation):
    """Take back the definer role's SELECT on a table its functions no longer read (a
    tenant table replaced by a coordinator directory), so the role that bypasses row-level
    security can read nothing but the directories."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str) -> None:
        self.table = table

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _statement(self, schema_editor: Any, verb: str) -> str:
        from django.conf import settings

        definer = schema_editor.quote_name(settings.DATABASE_DEFINER_ROLE)
        table = schema_editor.quote_name(self.table)
        preposition = "FROM" if verb == "REVOKE" else "TO"
        return f"{verb} SELECT ON {table} {preposition} {definer}"

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        schema_editor.execute(self._statement(schema_editor, "REVOKE"))

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        schema_editor.execute(self._statement(schema_editor, "GRANT"))

    def describe(self) -> str:
        return f"Revoke the definer role's SELECT on {self.table}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})
