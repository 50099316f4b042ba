from typing import Any

from django.conf import settings
from django.db import migrations

from tenancy.rls import CreateDefinerFunction, EnableRowLevelSecurity

TENANT_TABLES = [
    "telephony_telephonysettings",
    "telephony_twilioaccount",
    "telephony_phonenumber",
    "telephony_contact",
    "telephony_call",
    "telephony_callevent",
    "telephony_recording",
    "telephony_transcription",
    "telephony_message",
    "telephony_consentevent",
    "telephony_outboundrequest",
]

# The route function joins these besides telephony_phonenumber (granted by its operation).
ROUTE_EXTRA_TABLES = ["telephony_twilioaccount", "tenancy_organization"]


def grant_route_tables(apps: Any, schema_editor: Any) -> None:
    definer = schema_editor.quote_name(settings.DATABASE_DEFINER_ROLE)
    for table in ROUTE_EXTRA_TABLES:
        schema_editor.execute(f"GRANT SELECT ON {schema_editor.quote_name(table)} TO {definer}")


def revoke_route_tables(apps: Any, schema_editor: Any) -> None:
    definer = schema_editor.quote_name(settings.DATABASE_DEFINER_ROLE)
    for table in ROUTE_EXTRA_TABLES:
        schema_editor.execute(f"REVOKE SELECT ON {schema_editor.quote_name(table)} FROM {definer}")


class Migration(migrations.Migration):
    dependencies = [("telephony", "0001_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        *[EnableRowLevelSecurity(table) for table in TENANT_TABLES],
        # Webhooks arrive with no tenant: the organisation is found from the Twilio subaccount
        # and the organisation's own number (or its id, carried in the callback URLs we set),
        # before row-level security lets anything else be read. Returns at most two rows so a
        # misconfigured duplicate is visible as ambiguous rather than picked at random.
        CreateDefinerFunction(
            "telephony_number_route",
            "p_account_sid text, p_e164 text, p_phone_number_id bigint",
            "TABLE(organization_id bigint, phone_number_id bigint, location_id bigint, "
            "source_label text, auth_token text)",
            "SELECT n.organization_id, n.id, n.location_id, n.source_label::text, a.auth_token "
            "FROM public.telephony_phonenumber n "
            "JOIN public.telephony_twilioaccount a ON a.organization_id = n.organization_id "
            "JOIN public.tenancy_organization o ON o.id = n.organization_id "
            "WHERE a.account_sid = p_account_sid AND a.is_active AND n.is_active AND o.is_active "
            "AND (n.e164 = p_e164 OR n.id = p_phone_number_id) "
            "LIMIT 2",
            "telephony_phonenumber",
        ),
        migrations.RunPython(grant_route_tables, revoke_route_tables),
    ]
