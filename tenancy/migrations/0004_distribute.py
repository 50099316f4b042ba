import django.db.models.manager
from django.db import migrations

from tenancy.distribution import DistributeTenantTable, PrepareDistribution, ReferenceTable
from tenancy.rls import RewriteDefinerFunctionInPlpgsql


class Migration(migrations.Migration):
    """Keys shaped for Citus and, where the extension is installed, the global tables made
    reference tables and tenancy's tables distributed (tenancy/distribution.py).

    Every global table is a reference table, referenced tables first; django_migrations is
    left on the coordinator (migrate's own bookkeeping, never joined with tenant data).
    """

    dependencies = [
        ("tenancy", "0003_audit_context_on_the_event"),
        # Every table that references a tenant table exists first, so each key is shaped
        # once, by the operations below and in each app's distribution migration.
        ("routing", "0004_audit_context_on_the_event"),
        ("telephony", "0004_e164_validator"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("axes", "0010_accessattemptexpiration"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        PrepareDistribution(),
        RewriteDefinerFunctionInPlpgsql("tenancy_user_organization_ids", "p_user_id bigint"),
        ReferenceTable("django_content_type"),
        ReferenceTable("auth_permission"),
        ReferenceTable("auth_group"),
        ReferenceTable("auth_group_permissions"),
        ReferenceTable("auth_user"),
        ReferenceTable("auth_user_groups"),
        ReferenceTable("auth_user_user_permissions"),
        ReferenceTable("django_admin_log"),
        ReferenceTable("django_session"),
        ReferenceTable("axes_accessattempt"),
        ReferenceTable("axes_accessattemptexpiration"),
        ReferenceTable("axes_accessfailurelog"),
        ReferenceTable("axes_accesslog"),
        ReferenceTable("pghistory_context"),
        ReferenceTable("tenancy_organization"),
        ReferenceTable("tenancy_organizationevent"),
        DistributeTenantTable("tenancy_location"),
        DistributeTenantTable("tenancy_locationevent"),
        DistributeTenantTable("tenancy_membership"),
        DistributeTenantTable("tenancy_membershipevent"),
        DistributeTenantTable("tenancy_team"),
        DistributeTenantTable("tenancy_teamevent"),
        DistributeTenantTable("tenancy_teammember"),
        DistributeTenantTable("tenancy_teammemberevent"),
        DistributeTenantTable("tenancy_apikey"),
        DistributeTenantTable("tenancy_apikeyevent"),
        # Django's behind-the-scenes manager filters by the tenant in context
        # (tenancy/managers.py); the migration state only records its name.
        migrations.AlterModelManagers(
            name="apikey",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="location",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="membership",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="team",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AlterModelManagers(
            name="teammember",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("tenant_base", django.db.models.manager.Manager()),
            ],
        ),
    ]
