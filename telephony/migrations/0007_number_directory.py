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
        select=(
            "SELECT n.organization_id, n.id, a.account_sid, n.e164, n.is_active AND a.is_active "
            "FROM telephony_phonenumber n JOIN telephony_twilioaccount a "
            "ON a.organization_id = n.organization_id"
        ),
        insert=(
            "INSERT INTO telephony_numberdirectory "
            "(organization_id, phone_number_id, account_sid, e164, is_active)"
        ),
        columns=5,
    )


class Migration(migrations.Migration):
    """Webhooks find their tenant in a coordinator directory instead of the distributed
    number and account tables (docs/scaling.md): on Citus a SECURITY DEFINER function owned
    by a NOLOGIN role cannot read shards. The function now returns the organisation and
    the number only; the auth token, location and label are read inside the tenant."""

    dependencies = [
        ("telephony", "0006_consent_scope_review_and_unverified_sends"),
    ]

    operations = [
        migrations.CreateModel(
            name="NumberDirectoryEntry",
            fields=[
                ("pk", models.CompositePrimaryKey("organization_id", "phone_number_id", blank=True, editable=False, primary_key=True, serialize=False)),
                ("organization_id", models.BigIntegerField()),
                ("phone_number_id", models.BigIntegerField()),
                ("account_sid", models.CharField(max_length=34)),
                ("e164", models.CharField(max_length=16)),
                ("is_active", models.BooleanField()),
            ],
            options={
                "db_table": "telephony_numberdirectory",
                "indexes": [
                    models.Index(fields=["account_sid", "e164"], name="numberdirectory_route"),
                    models.Index(fields=["account_sid", "phone_number_id"], name="numberdirectory_id"),
                ],
            },
        ),
        EnableRowLevelSecurity("telephony_numberdirectory"),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        # The result changes (no location, label or token), which CREATE OR REPLACE cannot do.
        migrations.RunSQL(
            "DROP FUNCTION telephony_number_route(text, text, bigint)", migrations.RunSQL.noop
        ),
        # At most two rows, so a number active under two organisations for the same
        # subaccount is seen as ambiguous rather than picked at random.
        CreateDefinerFunction(
            "telephony_number_route",
            "p_account_sid text, p_e164 text, p_phone_number_id bigint",
            "TABLE(organization_id bigint, phone_number_id bigint)",
            "SELECT d.organization_id, d.phone_number_id FROM public.telephony_numberdirectory d "
            "WHERE d.account_sid = p_account_sid AND d.is_active "
            "AND (d.e164 = p_e164 OR d.phone_number_id = p_phone_number_id) "
            "LIMIT 2",
            "telephony_numberdirectory",
        ),
        RevokeDefinerSelect("telephony_phonenumber"),
        RevokeDefinerSelect("telephony_twilioaccount"),
        RevokeDefinerSelect("tenancy_organization"),
    ]
