from django.db import migrations

from tenancy.rls import CreateDefinerFunction, EnableRowLevelSecurity, GrantAppRole


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        GrantAppRole(),
        EnableRowLevelSecurity("tenancy_location"),
        EnableRowLevelSecurity("tenancy_locationevent"),
        EnableRowLevelSecurity("tenancy_membership"),
        EnableRowLevelSecurity("tenancy_membershipevent"),
        EnableRowLevelSecurity("tenancy_team"),
        EnableRowLevelSecurity("tenancy_teamevent"),
        EnableRowLevelSecurity("tenancy_teammember"),
        EnableRowLevelSecurity("tenancy_teammemberevent"),
        EnableRowLevelSecurity("tenancy_apikey"),
        EnableRowLevelSecurity("tenancy_apikeyevent"),
        # The organisation switcher lists a user's organisations, across tenants.
        CreateDefinerFunction(
            "tenancy_user_organization_ids",
            "p_user_id bigint",
            "SETOF bigint",
            "SELECT organization_id FROM public.tenancy_membership "
            "WHERE user_id = p_user_id AND is_active",
            "tenancy_membership",
        ),
    ]
