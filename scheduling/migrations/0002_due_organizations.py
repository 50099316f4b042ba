from typing import Any

from django.db import migrations, models

from tenancy.rls import (
    CreateDefinerFunction,
    EnableRowLevelSecurity,
    RevokeDefinerSelect,
    copy_into_directory,
)


def backfill(apps: Any, schema_editor: Any) -> None:
    # A leased row becomes claimable again when its lease runs out (never before it is due).
    copy_into_directory(
        schema_editor,
        select=(
            "SELECT organization_id, min(CASE WHEN status = 'pending' THEN due_at "
            "  ELSE GREATEST(due_at, lease_expires_at) END) "
            "FROM scheduling_duework WHERE status IN ('pending', 'leased') "
            "GROUP BY organization_id"
        ),
        insert="INSERT INTO scheduling_dueorganization (organization_id, next_due_at)",
        columns=2,
    )


class Migration(migrations.Migration):
    """The dispatcher finds organisations with due work in a coordinator directory instead
    of the distributed work table (docs/scaling.md): on Citus a SECURITY DEFINER function
    owned by a NOLOGIN role cannot read shards."""

    dependencies = [("scheduling", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="DueOrganization",
            fields=[
                ("organization_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("next_due_at", models.DateTimeField(null=True)),
            ],
            options={
                "db_table": "scheduling_dueorganization",
                "indexes": [
                    models.Index(
                        condition=models.Q(("next_due_at__isnull", False)),
                        fields=["next_due_at"],
                        name="dueorganization_next",
                    )
                ],
            },
        ),
        EnableRowLevelSecurity("scheduling_dueorganization"),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        # Same signature and result: replaced in place, grants kept.
        CreateDefinerFunction(
            "scheduling_due_organizations",
            "p_now timestamptz, p_limit integer",
            "TABLE(organization_id bigint)",
            "SELECT d.organization_id FROM public.scheduling_dueorganization d "
            "WHERE d.next_due_at <= p_now ORDER BY d.next_due_at LIMIT p_limit",
            "scheduling_dueorganization",
        ),
        RevokeDefinerSelect("scheduling_duework"),
        # It served the scan across organisations, which now reads the directory.
        migrations.RemoveIndex(model_name="duework", name="scheduling_duework_open_due"),
    ]
