"""Template helpers for organisation pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.urls import reverse

from tenancy.resolution import Tenant
from tenancy.roles import Capability

register = template.Library()


@register.simple_tag(takes_context=True)
def org_url(context: dict[str, Any], url_name: str, *args: Any) -> str:
    """``{% url %}`` for a page of the current organisation, without repeating its slug:
    ``{% org_url 'location-edit' location.pk %}``."""
    tenant = context["tenant"]
    return reverse(url_name, args=[tenant.organization.slug, *args])


@register.filter
def duration_words(value: timedelta | None) -> str:
    """A cool-off period as words: ``1 hour``, ``30 minutes``, ``1 hour 30 minutes``."""
    if not value:
        return ""
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.filter
def can(tenant: Tenant | None, capability: str) -> bool:
    """``{% if tenant|can:"manage_members" %}``: whether the member's role holds it."""
    return tenant is not None and tenant.can(Capability(capability))


@register.filter
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    return (mapping or {}).get(key)
