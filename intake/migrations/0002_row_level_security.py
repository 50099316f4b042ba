from django.db import migrations

from tenancy.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableRowLevelSecurity("intake_appointment"),
        EnableRowLevelSecurity("intake_appointmentevent"),
        EnableRowLevelSecurity("intake_case"),
        EnableRowLevelSecurity("intake_caseevent"),
        EnableRowLevelSecurity("intake_conflictcheck"),
        EnableRowLevelSecurity("intake_escalationtier"),
        EnableRowLevelSecurity("intake_escalationtierevent"),
        EnableRowLevelSecurity("intake_handoff"),
        EnableRowLevelSecurity("intake_handoffrecipient"),
        EnableRowLevelSecurity("intake_handoffrecipientevent"),
        EnableRowLevelSecurity("intake_intake"),
        EnableRowLevelSecurity("intake_lead"),
        EnableRowLevelSecurity("intake_leadevent"),
        EnableRowLevelSecurity("intake_matter"),
        EnableRowLevelSecurity("intake_party"),
        EnableRowLevelSecurity("intake_qareview"),
        EnableRowLevelSecurity("intake_scorecard"),
        EnableRowLevelSecurity("intake_scorecardevent"),
        EnableRowLevelSecurity("intake_script"),
        EnableRowLevelSecurity("intake_scriptevent"),
        EnableRowLevelSecurity("intake_scriptlocation"),
        EnableRowLevelSecurity("intake_scriptversion"),
        EnableRowLevelSecurity("intake_scriptversionevent"),
        EnableRowLevelSecurity("intake_sensitiveread"),
    ]
