import django.db.models.manager
from django.db import migrations

from tenancy.distribution import DistributeTenantTable


class Migration(migrations.Migration):
    """Routing's tables keyed by organisation and, with Citus, distributed; referenced
    tables first (tenancy/distribution.py)."""

    dependencies = [
        ("routing", "0004_audit_context_on_the_event"),
        ("tenancy", "0004_distribute"),
    ]

    operations = [
        DistributeTenantTable("routing_agentprofile"),
        DistributeTenantTable("routing_agentprofileevent"),
        DistributeTenantTable("routing_agentpresence"),
        DistributeTenantTable("routing_routingversion"),
        DistributeTenantTable("routing_routingversionevent"),
        DistributeTenantTable("routing_locationrouting"),
        DistributeTenantTable("routing_locationroutingevent"),
        DistributeTenantTable("routing_spikeepisode"),
        DistributeTenantTable("routing_notification"),
        DistributeTenantTable("routing_callbackrequest"),
        # Django's behind-the-scenes manager filters by the tenant in context
        # (tenancy/managers.py); the migration state only records its name.
        migrations.AlterModelManagers(
            name="agentpresence",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="agentprofile",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="callbackrequest",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="locationrouting",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="notification",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="routingversion",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="spikeepisode",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
    ]
