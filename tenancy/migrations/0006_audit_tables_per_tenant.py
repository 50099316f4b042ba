from django.db import migrations

from tenancy.rls import DenyAll, EnableRowLevelSecurity


class Migration(migrations.Migration):
    """The last audit tables that every organisation could read: the organisations' own
    history, keyed by the organisation it belongs to, and pghistory's shared context table,
    which nothing writes since each event carries its context (tenancy/audit.py) and which
    held actors' names of every organisation."""

    dependencies = [("tenancy", "0005_membership_directory")]

    operations = [
        EnableRowLevelSecurity("tenancy_organizationevent", column="pgh_obj_id"),
        DenyAll("pghistory_context"),
    ]
