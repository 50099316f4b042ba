import django.db.models.manager
from django.db import migrations

from tenancy.distribution import DistributeTenantTable
from tenancy.rls import RewriteDefinerFunctionInPlpgsql


class Migration(migrations.Migration):
    """Telephony's tables keyed by organisation and, with Citus, distributed; referenced
    tables first (tenancy/distribution.py)."""

    dependencies = [
        ("telephony", "0004_e164_validator"),
        ("tenancy", "0004_distribute"),
    ]

    operations = [
        RewriteDefinerFunctionInPlpgsql(
            "telephony_number_route", "p_account_sid text, p_e164 text, p_phone_number_id bigint"
        ),
        DistributeTenantTable("telephony_telephonysettings"),
        DistributeTenantTable("telephony_twilioaccount"),
        DistributeTenantTable("telephony_phonenumber"),
        DistributeTenantTable("telephony_contact"),
        DistributeTenantTable("telephony_call"),
        DistributeTenantTable("telephony_callevent"),
        DistributeTenantTable("telephony_recording"),
        DistributeTenantTable("telephony_transcription"),
        DistributeTenantTable("telephony_message"),
        DistributeTenantTable("telephony_consentevent"),
        DistributeTenantTable("telephony_outboundrequest"),
        # Django's behind-the-scenes manager filters by the tenant in context
        # (tenancy/managers.py); the migration state only records its name.
        migrations.AlterModelManagers(
            name="call",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="callevent",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="consentevent",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="contact",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="message",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="outboundrequest",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="phonenumber",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="recording",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="telephonysettings",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="transcription",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="twilioaccount",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
    ]
