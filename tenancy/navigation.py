"""The organisation's navigation: one list, filtered by the member's role.

Later apps (telephony, routing, metrics) add their pages to ``NAVIGATION`` below, in the
order they should appear; each entry names the capability its page checks on the server, so
a member is never shown a link that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from tenancy.resolution import Tenant
from tenancy.roles import Capability


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    capability: Capability
    section: str
    # URL names of sub-pages (create, edit) that keep this entry highlighted.
    also_active_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


@dataclass(frozen=True)
class NavSection:
    title: str
    items: list[NavItem]


NAVIGATION: list[NavEntry] = [
    NavEntry("Overview", "org-home", Capability.VIEW_ORGANIZATION, "Organisation"),
    NavEntry(
        "Locations",
        "locations",
        Capability.VIEW_ORGANIZATION,
        "Organisation",
        also_active_on=("location-create", "location-edit"),
    ),
    NavEntry(
        "Members",
        "members",
        Capability.VIEW_MEMBERS,
        "Organisation",
        also_active_on=("member-invite", "member-role", "member-active"),
    ),
    NavEntry(
        "Teams",
        "teams",
        Capability.MANAGE_TEAMS,
        "Organisation",
        also_active_on=("team-create", "team-edit", "team-members"),
    ),
    NavEntry(
        "Routing",
        "routing",
        Capability.VIEW_ROUTING,
        "Coverage",
        also_active_on=(
            "routing-location",
            "routing-schedule",
            "routing-tiers",
            "routing-after-hours",
            "routing-holidays",
            "routing-alerts",
            "routing-emergency",
            "routing-preview",
            "routing-coverage",
            "routing-versions",
            "routing-version",
            "routing-agents",
            "routing-notifications",
        ),
    ),
    NavEntry("My presence", "routing-presence", Capability.SET_OWN_PRESENCE, "Coverage"),
    NavEntry(
        "API keys",
        "api-keys",
        Capability.MANAGE_API_KEYS,
        "Administration",
        also_active_on=("api-key-create", "api-key-revoke"),
    ),
    NavEntry("Audit log", "audit", Capability.VIEW_AUDIT, "Administration"),
    NavEntry("Settings", "org-settings", Capability.MANAGE_ORGANIZATION, "Administration"),
]


def navigation_for(tenant: Tenant | None, current_url_name: str | None) -> list[NavSection]:
    """The sections and links ``tenant``'s role may use, in ``NAVIGATION`` order."""
    if tenant is None:
        return []
    sections: dict[str, list[NavItem]] = {}
    for entry in NAVIGATION:
        if not tenant.can(entry.capability):
            continue
        url = reverse(entry.url_name, kwargs={"org_slug": tenant.organization.slug})
        active = current_url_name in (entry.url_name, *entry.also_active_on)
        sections.setdefault(entry.section, []).append(NavItem(entry.label, url, active))
    return [NavSection(title, items) for title, items in sections.items()]
