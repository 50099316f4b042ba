"""``manage.py rotate_field_keys``: re-encrypt every organisation's encrypted values (Twilio
auth tokens, voicemail transcripts, intake answers, webhook secrets) under the first key
of FIELD_ENCRYPTION_KEYS, after which the other keys can be removed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from tenancy.context import tenant_context
from tenancy.encryption import rotate_encrypted_fields
from tenancy.models import Organization


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value of every organisation under the primary key."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for organization_id in Organization.objects.order_by("id").values_list("id", flat=True):
            with tenant_context(organization_id), transaction.atomic():
                total += rotate_encrypted_fields()
        self.stdout.write(f"Re-encrypted {total} values under the primary key.")
