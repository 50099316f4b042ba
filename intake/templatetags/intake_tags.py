"""Template filters of intake's pages."""

from __future__ import annotations

from django import template

from intake.models import PartyRole

register = template.Library()


@register.filter
def party_role(role: str) -> str:
    """A conflict hit's role in words ("Adverse party"); "" for a matter."""
    return str(PartyRole(role).label) if role in PartyRole.values else ""
