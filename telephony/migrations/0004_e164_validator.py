# The E.164 model validator now comes from the one phone-number parser (foundation.phones);
# validators live only in Python, so the database is unchanged.

import foundation.phones
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0003_routed_calls"),
    ]

    operations = [
        migrations.AlterField(
            model_name="contact",
            name="e164",
            field=models.CharField(max_length=16, validators=[foundation.phones.validate_e164]),
        ),
        migrations.AlterField(
            model_name="phonenumber",
            name="e164",
            field=models.CharField(max_length=16, validators=[foundation.phones.validate_e164]),
        ),
    ]
