"""``manage.py rotate_field_keys``: re-encrypt every organisation's secrets under the first
key of FIELD_ENCRYPTION_KEYS, after which the other keys can be removed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from telephony import services
from tenancy.context import tenant_context
from tenancy.models import Organization


class Command(BaseCommand):
    help = "Re-encrypt Twilio auth tokens and voicemail transcripts under the primary key."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        # Row-level security: each organisation's rows are only reachable in its tenant.
        for organization_id in Organization.objects.order_by("id").values_list("id", flat=True):
            with tenant_context(organization_id):
                total += services.encrypted_fields_rotate()
        self.stdout.write(f"Re-encrypted {total} values under the primary key.")
