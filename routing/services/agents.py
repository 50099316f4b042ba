"""Agents as routing sees them: where to ring them, and their presence."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from foundation.phones import InvalidPhoneNumber, to_e164
from routing import live
from routing.models import (
    AgentPresence,
    AgentProfile,
    Presence,
)
from tenancy.audit import audited
from tenancy.context import current_organization_id
from tenancy.models import Membership
from tenancy.resolution import Tenant

CLIENT_IDENTITY = re.compile(r"^[A-Za-z0-9_.@-]{1,120}$")


def agent_profile_set(
    *, actor: Tenant, membership: Membership, phone: str = "", client_identity: str = ""
) -> AgentProfile:
    """Where routing rings ``membership``: a phone number (stored as E.164, a national one
    read in the organisation's country), a Twilio Client identity, or both (the client
    identity wins). Published versions keep the targets they had; the next publish picks
    the change up."""
    errors: dict[str, list[str]] = {}
    phone = (phone or "").strip()
    client_identity = (client_identity or "").strip()
    if phone:
        try:
            phone = to_e164(phone, region=actor.organization.country)
        except InvalidPhoneNumber as error:
            errors["phone"] = [error.message]
    if client_identity and not CLIENT_IDENTITY.match(client_identity):
        errors["client_identity"] = ["Use up to 120 letters, digits and _ . @ - (no spaces)."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), audited(actor):
        profile, _ = AgentProfile.objects.update_or_create(
            membership=membership,
            defaults={"phone": phone, "client_identity": client_identity},
        )
    return profile


def presence_set(*, membership: Membership, status: str) -> AgentPresence:
    """Set a member's presence; the call path sees it as soon as the transaction commits."""
    if status not in Presence.values:
        raise ValidationError({"status": [f"Choose one of: {', '.join(Presence.values)}."]})
    presence, _ = AgentPresence.objects.update_or_create(
        membership=membership, defaults={"status": status}
    )
    organization_id = membership.organization_id
    transaction.on_commit(lambda: live.write_presence(organization_id, membership.pk, status))
    return presence


def presence_map(organization_id: int | None = None) -> dict[int, str]:
    """Membership id → status for the organisation in context: from the Redis mirror, or
    rebuilt from the database when the mirror is missing."""
    organization_id = organization_id or current_organization_id()
    statuses = live.read_presence(organization_id)
    if statuses is not None:
        return statuses
    statuses = dict(AgentPresence.objects.values_list("membership_id", "status"))
    live.store_presence(organization_id, statuses)
    return statuses
