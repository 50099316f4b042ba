from typing import Any

from django.db import migrations, models

from tenancy.rls import (
    CreateDefinerFunction,
    EnableRowLevelSecurity,
    RevokeDefinerSelect,
    copy_into_directory,
)


def backfill(apps: Any, schema_editor: Any) -> None:
    copy_into_directory(
        schema_editor,
        select="SELECT organization_id, user_id, is_active FROM tenancy_membership",
        insert="INSERT INTO tenancy_membershipdirectory (organization_id, user_id, is_active)",
        columns=3,
    )


class Migration(migrations.Migration):
    """The organisation switcher reads a coordinator directory instead of the distributed
    membership table (docs/scaling.md): on Citus a SECURITY DEFINER function owned by a
    NOLOGIN role cannot read shards."""

    dependencies = [("tenancy", "0004_distribute")]

    operations = [
        migrations.CreateModel(
            name="MembershipDirectoryEntry",
            fields=[
                ("pk", models.CompositePrimaryKey("organization_id", "user_id", blank=True, editable=False, primary_key=True, serialize=False)),
                ("organization_id", models.BigIntegerField()),
                ("user_id", models.BigIntegerField()),
                ("is_active", models.BooleanField()),
            ],
            options={
                "db_table": "tenancy_membershipdirectory",
                "indexes": [models.Index(fields=["user_id"], name="membershipdirectory_user")],
            },
        ),
        EnableRowLevelSecurity("tenancy_membershipdirectory"),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        # Same signature and result: replaced in place, grants kept.
        CreateDefinerFunction(
            "tenancy_user_organization_ids",
            "p_user_id bigint",
            "SETOF bigint",
            "SELECT d.organization_id FROM public.tenancy_membershipdirectory d "
            "WHERE d.user_id = p_user_id AND d.is_active",
            "tenancy_membershipdirectory",
        ),
        RevokeDefinerSelect("tenancy_membership"),
    ]
