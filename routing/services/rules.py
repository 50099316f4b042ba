"""Drafts, publishing, versions and emergency closures of a location's routing rules."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from routing import loading, selectors
from routing.document import (
    clean_document,
    default_document,
    snapshot,
)
from routing.models import (
    LocationRouting,
    RoutingVersion,
)
from tenancy.audit import audited
from tenancy.models import Location
from tenancy.resolution import Tenant

logger = logging.getLogger(__name__)

MAX_EMERGENCY_DAYS = 30


def routing_for(location: Location, *, lock: bool = False) -> LocationRouting:
    """The location's routing row, created with default rules on first use."""
    queryset = LocationRouting.objects.filter(location=location)
    if lock:
        queryset = queryset.select_for_update()
    routing = queryset.first()
    if routing is not None:
        return routing
    organization = location.organization
    try:
        with transaction.atomic():
            LocationRouting.objects.create(
                location=location,
                draft=default_document(time_zone=location.time_zone, country=organization.country),
            )
    except IntegrityError:
        pass  # Created concurrently: read it below.
    queryset = LocationRouting.objects.filter(location=location)
    return (queryset.select_for_update() if lock else queryset).get()


def _actor_label(actor: Tenant) -> str:
    if actor.membership is not None:
        return actor.membership.user.get_username()
    if actor.api_key is not None:
        return f"API key {actor.api_key.name}"
    return "system"


def draft_save(*, actor: Tenant, location: Location, document: Any) -> LocationRouting:
    """Replace the location's draft with ``document`` once every field is valid.

    Raises ``ValidationError`` keyed by field path (``periods.1.start``); the draft is left
    unchanged then. Nothing reaches calls until ``routing_publish``.
    """
    ctx = selectors.validation_context(location, today=timezone.localdate())
    cleaned, errors = clean_document(document, ctx)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), audited(actor):
        routing = routing_for(location, lock=True)
        routing.draft = cleaned
        routing.draft_updated_at = timezone.now()
        routing.save(update_fields=["draft", "draft_updated_at"])
    return routing


def routing_publish(
    *,
    actor: Tenant,
    location: Location,
    note: str = "",
    restored_from: RoutingVersion | None = None,
) -> RoutingVersion:
    """Publish the draft as a new immutable version after the full validation (every
    field, someone to ring in every open hour, no overflow loop). Calls use it from
    their next decision in every process. Raises ``ValidationError`` by field path."""
    with transaction.atomic(), audited(actor):
        routing = routing_for(location, lock=True)
        ctx = selectors.validation_context(location, today=timezone.localdate())
        cleaned, errors = clean_document(routing.draft, ctx, for_publish=True)
        if errors:
            raise ValidationError(errors)
        last = RoutingVersion.objects.filter(location=location).aggregate(n=Max("number"))["n"]
        version = RoutingVersion(
            location=location,
            number=(last or 0) + 1,
            rules=cleaned,
            snapshot=snapshot(
                cleaned, location_id=location.pk, location_name=location.name, teams=ctx.teams
            ),
            note=note[:200],
            restored_from_number=restored_from.number if restored_from else None,
            published_by=actor.membership,
            published_by_label=_actor_label(actor),
        )
        version.save()
        routing.draft = cleaned
        routing.published_version = version
        routing.generation += 1
        routing.save(update_fields=["draft", "published_version", "generation"])
        loading.published_changed()
    logger.info(
        "Routing published",
        extra={"location_id": location.pk, "routing_version": version.number},
    )
    return version


def version_restore(*, actor: Tenant, version: RoutingVersion) -> RoutingVersion:
    """Publish ``version``'s rules again as a new version (the history stays intact),
    validated against today's teams; the draft becomes those rules too. When they no
    longer validate (a team was deleted, say) nothing changes and the errors say why."""
    location = Location.objects.get(pk=version.location_id)
    with transaction.atomic():
        routing = routing_for(location, lock=True)
        ctx = selectors.validation_context(location, today=timezone.localdate())
        _, errors = clean_document(version.rules, ctx, for_publish=True)
        if errors:
            raise ValidationError(errors)
        with audited(actor):
            routing.draft = version.rules
            routing.save(update_fields=["draft"])
        return routing_publish(
            actor=actor,
            location=location,
            note=f"Restored version {version.number}",
            restored_from=version,
        )


def draft_discard(*, actor: Tenant, location: Location) -> LocationRouting:
    """Throw the draft's changes away: back to the published rules."""
    with transaction.atomic(), audited(actor):
        routing = routing_for(location, lock=True)
        if routing.published_version is not None:
            routing.draft = routing.published_version.rules
            routing.draft_updated_at = timezone.now()
            routing.save(update_fields=["draft", "draft_updated_at"])
    return routing


def emergency_start(
    *,
    actor: Tenant,
    location: Location,
    message: str,
    until: datetime,
    now: datetime | None = None,
) -> LocationRouting:
    """Close the location at once until ``until``: callers hear ``message`` and then the
    after-hours behaviour. Takes effect without a publish."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    message = (message or "").strip()
    if not message:
        errors["message"] = ["Say what callers should hear."]
    elif len(message) > 500:
        errors["message"] = ["At most 500 characters."]
    if until is None or timezone.is_naive(until):
        errors["until"] = ["Give the end date and time."]
    elif until <= now:
        errors["until"] = ["The end must be in the future."]
    elif until > now + timedelta(days=MAX_EMERGENCY_DAYS):
        errors["until"] = [
            f"An emergency closure lasts at most {MAX_EMERGENCY_DAYS} days; for longer, "
            "add closed dates."
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), audited(actor):
        routing = routing_for(location, lock=True)
        routing.emergency_message = message
        routing.emergency_until = until
        routing.emergency_started_at = now
        routing.generation += 1
        routing.save(
            update_fields=[
                "emergency_message",
                "emergency_until",
                "emergency_started_at",
                "generation",
            ]
        )
        loading.published_changed()
    return routing


def emergency_end(*, actor: Tenant, location: Location) -> LocationRouting:
    with transaction.atomic(), audited(actor):
        routing = routing_for(location, lock=True)
        routing.emergency_message = ""
        routing.emergency_until = None
        routing.emergency_started_at = None
        routing.generation += 1
        routing.save(
            update_fields=[
                "emergency_message",
                "emergency_until",
                "emergency_started_at",
                "generation",
            ]
        )
        loading.published_changed()
    return routing


def emergency_active(routing: LocationRouting, *, now: datetime | None = None) -> bool:
    return routing.emergency_until is not None and routing.emergency_until > (now or timezone.now())
