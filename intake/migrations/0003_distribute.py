from django.db import migrations

from tenancy.distribution import DistributeTenantTable


class Migration(migrations.Migration):
    """Intake's tables keyed by organisation and, with Citus, distributed; referenced tables
    first (tenancy/distribution.py)."""

    dependencies = [
        ("intake", "0002_row_level_security"),
        ("routing", "0005_distribute"),
    ]

    operations = [
        DistributeTenantTable("intake_escalationtier"),
        DistributeTenantTable("intake_escalationtierevent"),
        DistributeTenantTable("intake_script"),
        DistributeTenantTable("intake_scriptevent"),
        DistributeTenantTable("intake_scriptlocation"),
        DistributeTenantTable("intake_scriptversion"),
        DistributeTenantTable("intake_scriptversionevent"),
        DistributeTenantTable("intake_intake"),
        DistributeTenantTable("intake_matter"),
        DistributeTenantTable("intake_party"),
        DistributeTenantTable("intake_conflictcheck"),
        DistributeTenantTable("intake_lead"),
        DistributeTenantTable("intake_leadevent"),
        DistributeTenantTable("intake_appointment"),
        DistributeTenantTable("intake_appointmentevent"),
        DistributeTenantTable("intake_case"),
        DistributeTenantTable("intake_caseevent"),
        DistributeTenantTable("intake_handoffrecipient"),
        DistributeTenantTable("intake_handoffrecipientevent"),
        DistributeTenantTable("intake_handoff"),
        DistributeTenantTable("intake_scorecard"),
        DistributeTenantTable("intake_scorecardevent"),
        DistributeTenantTable("intake_qareview"),
        DistributeTenantTable("intake_sensitiveread"),
    ]
