"""Citus distribution as migration operations, one line per table (beside ``rls.py``).

Past one PostgreSQL server the product runs on Citus (docs/scaling.md): every tenant table is
distributed on ``organization_id``, all of them in one co-location group so that a tenant's
rows of every table live in the same shard group, and every global table is a reference
table, copied to every node. Citus can only enforce a key per shard, so the keys are shaped
for it on every database, plain PostgreSQL included, and the schema test checks that shape
there too: a new app that forgets its operations fails on a developer's machine, not first
on the cluster.

- ``DistributeTenantTable``: the primary key becomes ``(organization_id, <pk>)``; each
  foreign key between the table and another tenant table becomes
  ``(organization_id, x_id) → (organization_id, id)``, deferrable like Django's; with
  Citus, the table is then distributed. Foreign keys to global tables stay as they are
  (a distributed table may reference a reference table).
- ``ReferenceTable``: with Citus, the table is replicated to every node.
- ``PrepareDistribution``: with Citus, the database settings that the application needs
  (``citus.propagate_set_commands`` carries ``SET LOCAL`` to the workers, which is how the
  tenant reaches the shards; triggers on distributed tables, which the audit trail uses).

Without the extension the Citus steps are skipped and the same migrations run unchanged.

A foreign key between two tenant tables is rebuilt by the operation of whichever table
comes second: the first drops it when it rebuilds its own primary key (the key depends on
it) or leaves it for the second; the second, finding the other side shaped, adds the
composite key. Referenced tables come first, since Citus only distributes a table whose
referenced tables are already distributed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import migrations

ORGANIZATION_COLUMN = "organization_id"

# Django leaves deletion to Python (NO ACTION); a database-level CASCADE or RESTRICT is kept.
_ON_DELETE = {"a": "", "r": " ON DELETE RESTRICT", "c": " ON DELETE CASCADE"}


def citus_installed(connection: Any) -> bool:
    """True when the database has the Citus extension (the distribution steps then run)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        return bool(cursor.fetchone()[0])


def _citus_table_type(connection: Any, table: str) -> str:
    """'distributed', 'reference', 'local' (a Citus local table, which Citus makes of a
    plain table that a reference table's foreign keys reach) or '' (not in Citus's
    metadata)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN partmethod = 'h' THEN 'distributed' "
            "  WHEN repmodel = 't' THEN 'reference' ELSE 'local' END "
            "FROM pg_dist_partition WHERE logicalrelid = to_regclass(%s)",
            [table],
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def _columns(connection: Any, table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


def _primary_key(connection: Any, table: str) -> tuple[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname, array_agg(a.attname ORDER BY k.ord) "
            "FROM pg_constraint c "
            "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
            "WHERE c.conrelid = to_regclass(%s) AND c.contype = 'p' "
            "GROUP BY c.conname",
            [table],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValueError(f"{table} has no primary key to distribute on")
    return row[0], list(row[1])


def _is_shaped(connection: Any, table: str) -> bool:
    """True when ``table`` is a tenant table whose primary key already leads with the
    organisation (its operation has run)."""
    if ORGANIZATION_COLUMN not in _columns(connection, table):
        return False
    return _primary_key(connection, table)[1][:1] == [ORGANIZATION_COLUMN]


@dataclass(frozen=True)
class _ForeignKey:
    name: str
    table: str
    columns: list[str]
    target: str
    target_columns: list[str]
    deferrable: bool
    deferred: bool
    on_delete: str


def _foreign_keys(connection: Any, table: str) -> list[_ForeignKey]:
    """Every foreign key from or to ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname, c.conrelid::regclass::text, "
            "  ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) "
            "        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n "
            "        ORDER BY k.o), "
            "  c.confrelid::regclass::text, "
            "  ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) "
            "        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n "
            "        ORDER BY k.o), "
            "  c.condeferrable, c.condeferred, c.confdeltype "
            "FROM pg_constraint c WHERE c.contype = 'f' "
            "AND (c.conrelid = to_regclass(%s) OR c.confrelid = to_regclass(%s)) "
            "ORDER BY c.conname",
            [table, table],
        )
        return [_ForeignKey(*row) for row in cursor.fetchall()]


class _CitusOperation(migrations.operations.base.Operation):
    reversible = False
    reduces_to_sql = False

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        raise NotImplementedError("Distribution is not reversed: undistribute by hand.")


class PrepareDistribution(_CitusOperation):
    """With Citus, set the database-wide settings that the application relies on.

    ``citus.propagate_set_commands = 'local'`` makes Citus repeat each ``SET LOCAL`` on the
    workers taking part in the transaction: the tenant (``app.organization_id``) and the
    audit context reach the shards, where row-level security and the audit triggers read
    them. ``citus.enable_unsafe_triggers`` allows triggers on distributed tables; the audit
    triggers only write the event row of the same tenant, which lives in the co-located
    shard on the same node (docs/scaling.md). Both are set for the database, so every
    session has them, and for this transaction, whose later operations need them.
    """

    reversible = True

    SETTINGS = (
        ("citus.propagate_set_commands", "local"),
        ("citus.enable_unsafe_triggers", "on"),
    )

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        connection = schema_editor.connection
        if not citus_installed(connection):
            return
        database = schema_editor.quote_name(connection.settings_dict["NAME"])
        for name, value in self.SETTINGS:
            schema_editor.execute(f"ALTER DATABASE {database} SET {name} = '{value}'")
            schema_editor.execute(f"SET LOCAL {name} = '{value}'")
        # When a table becomes a reference table, Citus turns every plain table connected
        # to it through foreign keys, however far, into a "Citus local table", which it
        # then cannot distribute (identity columns). The keys from tenant tables to global
        # tables are cut first; each DistributeTenantTable adds its own back, from the
        # models, once its table is distributed.
        _drop_keys_to_global_tables(schema_editor)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        pass

    def describe(self) -> str:
        return "With Citus, propagate SET LOCAL to the workers and allow audit triggers"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {})


def _prepare_transaction(schema_editor: Any) -> None:
    # Sequential mode: in one transaction Citus refuses a foreign key to a reference table
    # after parallel work on distributed tables, which a migration of several tables does.
    for name, value in (
        ("citus.multi_shard_modify_mode", "sequential"),
        *PrepareDistribution.SETTINGS,
    ):
        schema_editor.execute(f"SET LOCAL {name} = '{value}'")


def _drop_keys_to_global_tables(schema_editor: Any) -> None:
    """Drop every foreign key from a tenant table that Citus does not manage yet to a
    global table."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c "
            "WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace "
            "AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid "
            "            AND a.attname = %s AND NOT a.attisdropped) "
            "AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.confrelid "
            "                AND a.attname = %s AND NOT a.attisdropped) "
            "AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p "
            "                WHERE p.logicalrelid = c.conrelid) "
            "ORDER BY 1, 2",
            [ORGANIZATION_COLUMN, ORGANIZATION_COLUMN],
        )
        keys = cursor.fetchall()
    quote = schema_editor.quote_name
    for table, name in keys:
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")


class DistributeTenantTable(_CitusOperation):
    """Shape a tenant table's keys for Citus and, with Citus, distribute it on the
    organisation, co-located with every other tenant table."""

    def __init__(self, table: str) -> None:
        self.table = table

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        connection = schema_editor.connection
        quote = schema_editor.quote_name
        table = self.table
        if ORGANIZATION_COLUMN not in _columns(connection, table):
            raise ValueError(f"{table} has no {ORGANIZATION_COLUMN}: it is not a tenant table")
        citus = citus_installed(connection)
        if citus:
            _prepare_transaction(schema_editor)

        # Django's pending statements for this table's foreign keys (from a CreateModel in
        # the same migration) are dropped: the keys are added below, or by the other
        # table's operation, in the shape Citus takes and after the table is distributed.
        schema_editor.deferred_sql = [
            statement
            for statement in schema_editor.deferred_sql
            if not _is_foreign_key_statement_of(connection, statement, table)
        ]

        # The single-column keys between this table and other tenant tables go: they depend
        # on the primary keys about to change, and Citus cannot enforce them.
        existing: dict[tuple[str, str], _ForeignKey] = {}
        dropped: dict[tuple[str, str], _ForeignKey] = {}
        for key in _foreign_keys(connection, table):
            other = key.target if key.table == table else key.table
            tenant_pair = ORGANIZATION_COLUMN in _columns(connection, other)
            if tenant_pair and key.columns[:1] != [ORGANIZATION_COLUMN]:
                schema_editor.execute(
                    f"ALTER TABLE {quote(key.table)} DROP CONSTRAINT {quote(key.name)}"
                )
                dropped[(key.table, key.columns[0])] = key
            else:
                existing[(key.table, key.columns[-1])] = key

        name, columns = _primary_key(connection, table)
        if columns[:1] != [ORGANIZATION_COLUMN]:
            key_columns = [ORGANIZATION_COLUMN, *(c for c in columns if c != ORGANIZATION_COLUMN)]
            # Two statements: Citus refuses ADD CONSTRAINT beside another subcommand.
            schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            schema_editor.execute(
                f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} "
                f"PRIMARY KEY ({', '.join(map(quote, key_columns))})"
            )

        if citus and _citus_table_type(connection, table) != "distributed":
            schema_editor.execute(
                "SELECT create_distributed_table(%s, %s, colocate_with => 'default')",
                [table, ORGANIZATION_COLUMN],
            )

        # Every foreign key of the models, added where missing: to a global table as it
        # is; between tenant tables with the organisation on both sides, where the other
        # table is already shaped (a key to or from a table not yet shaped is added by that
        # table's operation: Citus takes a key only between distributed tables).
        for model, field in _relations(to_state, table):
            source = model._meta.db_table
            target = field.target_field.model._meta.db_table
            column, target_column = field.column, field.target_field.column
            if (source, column) in existing:
                continue
            if source != table and ORGANIZATION_COLUMN not in _columns(connection, source):
                continue  # a global table's key to a tenant table: none exist
            tenant_pair = ORGANIZATION_COLUMN in _columns(connection, target)
            other = target if source == table else source
            if tenant_pair and other != table and not _is_shaped(connection, other):
                if source == table and citus:
                    raise ValueError(
                        f"{table} references {target}, which is not distributed yet: "
                        f"put DistributeTenantTable({target!r}) before it"
                    )
                continue
            old = dropped.get((source, column))
            constraint = (
                quote(old.name)
                if old
                else str(
                    schema_editor._fk_constraint_name(
                        model, field, "_fk_%(to_table)s_%(to_column)s"
                    )
                )
            )
            columns_sql, target_sql = quote(column), quote(target_column)
            if tenant_pair:
                columns_sql = f"{quote(ORGANIZATION_COLUMN)}, {columns_sql}"
                target_sql = f"{quote(ORGANIZATION_COLUMN)}, {target_sql}"
            on_delete = _ON_DELETE.get(old.on_delete, "") if old else ""
            schema_editor.execute(
                f"ALTER TABLE {quote(source)} ADD CONSTRAINT {constraint} "
                f"FOREIGN KEY ({columns_sql}) REFERENCES {quote(target)} ({target_sql})"
                f"{on_delete} DEFERRABLE INITIALLY DEFERRED"
            )

    def describe(self) -> str:
        return f"Key {self.table} by organisation and, with Citus, distribute it"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})


def _is_foreign_key_statement_of(connection: Any, statement: Any, table: str) -> bool:
    """True for Django's pending ``ADD CONSTRAINT … FOREIGN KEY`` from ``table``, or to it
    from another tenant table."""
    parts = getattr(statement, "parts", None)
    if not parts or "to_table" not in parts or "FOREIGN KEY" not in str(statement.template):
        return False
    source, target = parts["table"].table, parts["to_table"].table
    if source == table:
        return True
    return target == table and ORGANIZATION_COLUMN in _columns(connection, source)


def _relations(state: Any, table: str) -> list[tuple[Any, Any]]:
    """(model, field) for every database-enforced foreign key of the models from
    ``table``, or to it."""
    relations = []
    for model in state.apps.get_models():
        for field in model._meta.local_fields:
            if getattr(field, "remote_field", None) is None or not field.db_constraint:
                continue
            target = field.target_field.model._meta.db_table
            if table in (model._meta.db_table, target):
                relations.append((model, field))
    return relations


class ReferenceTable(_CitusOperation):
    """With Citus, make a global table a reference table: a copy on every node, so tenant
    tables may reference it and join it on the shard.

    Keys from tenant tables not yet distributed to global tables are dropped first and
    added again by their own ``DistributeTenantTable`` (``PrepareDistribution`` says why).
    """

    def __init__(self, table: str) -> None:
        self.table = table

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        connection = schema_editor.connection
        if not citus_installed(connection):
            return
        if _citus_table_type(connection, self.table) == "reference":
            return
        _prepare_transaction(schema_editor)
        _drop_keys_to_global_tables(schema_editor)
        schema_editor.execute("SELECT create_reference_table(%s)", [self.table])

    def describe(self) -> str:
        return f"With Citus, make {self.table} a reference table"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})


class MoveAuditContext(_CitusOperation):
    """Copy an event table's context from pghistory's shared context table into the event
    row itself (``PGHISTORY_CONTEXT_FIELD``; tenancy/audit.py), keeping the context's id.

    The database half of the change; the migration states the model change beside it. The
    old foreign key column (``pgh_context_id``, a uuid) stays as the context id, without
    its index. Row-level security filters the owner too, so a tenant table's events are
    copied one organisation at a time.
    """

    def __init__(self, table: str) -> None:
        self.table = table

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        connection = schema_editor.connection
        table = schema_editor.quote_name(self.table)
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN pgh_context jsonb NULL")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] "
                "WHERE x.indrelid = to_regclass(%s) AND x.indnatts = 1 "
                "AND a.attname = 'pgh_context_id'",
                [self.table],
            )
            indexes = [row[0] for row in cursor.fetchall()]
        for index in indexes:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(index)}")
        copy = (
            f"UPDATE {table} e SET pgh_context = c.metadata FROM pghistory_context c "
            f"WHERE c.id = e.pgh_context_id"
        )
        if ORGANIZATION_COLUMN not in _columns(connection, self.table):
            schema_editor.execute(copy)
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM tenancy_organization ORDER BY id")
            organizations = [row[0] for row in cursor.fetchall()]
        for organization_id in organizations:
            schema_editor.execute(
                "SELECT set_config('app.organization_id', %s, true)", [str(organization_id)]
            )
            schema_editor.execute(copy)
        schema_editor.execute("SELECT set_config('app.organization_id', '', true)")

    def describe(self) -> str:
        return f"Copy the audit context into the rows of {self.table}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})
