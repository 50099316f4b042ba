from django.db import migrations

from tenancy.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableRowLevelSecurity("routing_agentpresence"),
        EnableRowLevelSecurity("routing_agentprofile"),
        EnableRowLevelSecurity("routing_agentprofileevent"),
        EnableRowLevelSecurity("routing_callbackrequest"),
        EnableRowLevelSecurity("routing_locationrouting"),
        EnableRowLevelSecurity("routing_locationroutingevent"),
        EnableRowLevelSecurity("routing_notification"),
        EnableRowLevelSecurity("routing_routingversion"),
        EnableRowLevelSecurity("routing_routingversionevent"),
        EnableRowLevelSecurity("routing_spikeepisode"),
    ]
