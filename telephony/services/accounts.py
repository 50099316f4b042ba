"""Configuring an organisation's telephony: its Twilio subaccount, numbers and settings.

Each writer clears the webhook number directory (telephony.directory), so webhooks see the
change within seconds in every process; the writers of numbers and accounts also rewrite
the organisation's rows of the cross-tenant number directory table in the same
transaction (``_record_numbers``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from foundation.phones import InvalidPhoneNumber, to_e164
from telephony import directory
from telephony.models import (
    Contact,
    NumberDirectoryEntry,
    PhoneNumber,
    TelephonySettings,
    TwilioAccount,
)
from tenancy.models import Location
from tenancy.resolution import Tenant


def _record_numbers(organization_id: int) -> None:
    """Rewrite the organisation's rows of the number directory (``NumberDirectoryEntry``)
    from its numbers and account, as this transaction sees them. An organisation has a few
    numbers, so writing them all is cheaper to get right than patching one."""
    account = TwilioAccount.objects.first()
    NumberDirectoryEntry.objects.filter(organization_id=organization_id).delete()
    if account is None:
        return
    NumberDirectoryEntry.objects.bulk_create(
        NumberDirectoryEntry(
            organization_id=organization_id,
            phone_number_id=number_id,
            account_sid=account.account_sid,
            e164=e164,
            is_active=is_active and account.is_active,
        )
        for number_id, e164, is_active in PhoneNumber.objects.values_list("id", "e164", "is_active")
    )


def twilio_account_set(*, actor: Tenant, account_sid: str, auth_token: str) -> TwilioAccount:
    """Set the organisation's Twilio subaccount and auth token (stored encrypted)."""
    account = TwilioAccount.objects.filter().first() or TwilioAccount(
        organization=actor.organization
    )
    account.account_sid = account_sid
    account.auth_token = auth_token
    account.is_active = True
    account.full_clean()
    with transaction.atomic():
        account.save()
        _record_numbers(account.organization_id)
    directory.invalidate()
    return account


def phone_number_create(
    *,
    actor: Tenant,
    e164: str,
    location: Location,
    source_label: str = "Main line",
    twilio_sid: str = "",
) -> PhoneNumber:
    """Add one of the organisation's Twilio numbers, answering for ``location``; ``e164``
    may also be written as a national number of the organisation's country."""
    try:
        e164 = to_e164(e164, region=actor.organization.country)
    except InvalidPhoneNumber as error:
        raise ValidationError({"e164": ValidationError(error.message, code=error.code)}) from error
    number = PhoneNumber(
        organization=actor.organization,
        e164=e164,
        location=location,
        source_label=source_label,
        twilio_sid=twilio_sid,
    )
    number.full_clean()
    with transaction.atomic():
        number.save()
        _record_numbers(number.organization_id)
    directory.invalidate()
    return number


def phone_number_update(*, actor: Tenant, number: PhoneNumber, **fields: Any) -> PhoneNumber:
    for name, value in fields.items():
        setattr(number, name, value)
    number.full_clean()
    with transaction.atomic():
        number.save(update_fields=list(fields))
        _record_numbers(number.organization_id)
    directory.invalidate()
    return number


def telephony_settings_update(*, actor: Tenant, **fields: Any) -> TelephonySettings:
    """Change the organisation's telephony settings (created on first change)."""
    settings = TelephonySettings.objects.first() or TelephonySettings(
        organization=actor.organization
    )
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    directory.invalidate()
    return settings


def contact_update(*, e164: str, name: str | None = None, time_zone: str | None = None) -> Contact:
    """Create or update the contact for ``e164`` (already E.164)."""
    contact, _ = Contact.objects.get_or_create(e164=e164)
    fields: list[str] = []
    if name is not None and name != contact.name:
        contact.name, fields = name, [*fields, "name"]
    if time_zone is not None and time_zone != contact.time_zone:
        contact.time_zone, fields = time_zone, [*fields, "time_zone"]
    if fields:
        contact.full_clean()
        contact.save(update_fields=[*fields, "updated_at"])
    return contact
