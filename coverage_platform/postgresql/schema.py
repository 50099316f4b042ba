"""Django's PostgreSQL schema editor, with foreign keys between tenant tables that include
the organisation.

A tenant table's primary key is ``(organization_id, id)`` (tenancy/distribution.py), so a
key on ``id`` alone is no longer unique and a plain foreign key to it cannot be created:
a field added later that references a tenant table gets ``(organization_id, x_id) →
(organization_id, id)`` instead, the shape Citus enforces per shard. Looking the key up
again (to alter or drop the field) finds it by its own column, as Django expects.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.ddl_references import Columns
from django.db.backends.postgresql import schema

ORGANIZATION_COLUMN = "organization_id"


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _create_fk_sql(self, model: Any, field: Any, suffix: str) -> Any:
        statement = super()._create_fk_sql(model, field, suffix)  # type: ignore[misc]
        target = field.target_field.model._meta.db_table
        if self._keyed_by_organization(model._meta.db_table) and self._keyed_by_organization(
            target
        ):
            statement.parts["column"] = Columns(
                model._meta.db_table, [ORGANIZATION_COLUMN, field.column], self.quote_name
            )
            statement.parts["to_column"] = Columns(
                target, [ORGANIZATION_COLUMN, field.target_field.column], self.quote_name
            )
        return statement

    def _constraint_names(
        self, model: Any, column_names: list[str] | None = None, **kwargs: Any
    ) -> list[str]:
        names: list[str] = super()._constraint_names(  # type: ignore[misc]
            model, column_names, **kwargs
        )
        if kwargs.get("foreign_key") and column_names and len(column_names) == 1:
            names += super()._constraint_names(  # type: ignore[misc]
                model, [ORGANIZATION_COLUMN, *column_names], **kwargs
            )
        return names

    def _keyed_by_organization(self, table: str) -> bool:
        """True when ``table``'s primary key leads with the organisation (a tenant table
        once its distribution operation has run)."""
        if self.collect_sql:
            return False
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "WHERE c.conrelid = to_regclass(%s) AND c.contype = 'p'",
                [table],
            )
            row = cursor.fetchone()
        return row is not None and row[0] == ORGANIZATION_COLUMN
