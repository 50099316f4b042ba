"""The organisation's navigation: entries that each app declares, filtered by the role.

Every installed app may have a ``navigation`` module whose ``ENTRIES`` lists its pages
(``routing/navigation.py`` is one); they are collected from the installed apps, as Django's
admin discovers ``admin`` modules, so a new app adds its own file and this one names no
other app's pages. Each entry names the capability its page checks on the server, so a
member is never shown a link that would answer 403.

Sections are ordered by ``Section.order`` (Organisation 100, Administration 900: an app
places its own section in between), entries within a section by ``NavEntry.order``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.module_loading import module_has_submodule

from tenancy.resolution import Tenant
from tenancy.roles import AnyCapability, Capability

MODULE_NAME = "navigation"


@dataclass(frozen=True)
class Section:
    title: str
    order: int


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    capability: AnyCapability
    section: Section
    order: int
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


ORGANISATION = Section("Organisation", 100)
ADMINISTRATION = Section("Administration", 900)

# Tenancy's own pages.
ENTRIES: list[NavEntry] = [
    NavEntry("Overview", "org-home", Capability.VIEW_ORGANIZATION, ORGANISATION, 10),
    NavEntry(
        "Locations",
        "locations",
        Capability.VIEW_ORGANIZATION,
        ORGANISATION,
        20,
        also_active_on=("location-create", "location-edit"),
    ),
    NavEntry(
        "Members",
        "members",
        Capability.VIEW_MEMBERS,
        ORGANISATION,
        30,
        also_active_on=("member-invite", "member-role", "member-active"),
    ),
    NavEntry(
        "Teams",
        "teams",
        Capability.MANAGE_TEAMS,
        ORGANISATION,
        40,
        also_active_on=("team-create", "team-edit", "team-members"),
    ),
    NavEntry(
        "API keys",
        "api-keys",
        Capability.MANAGE_API_KEYS,
        ADMINISTRATION,
        10,
        also_active_on=("api-key-create", "api-key-revoke"),
    ),
    NavEntry("Audit log", "audit", Capability.VIEW_AUDIT, ADMINISTRATION, 20),
    NavEntry("Settings", "org-settings", Capability.MANAGE_ORGANIZATION, ADMINISTRATION, 30),
]


def collect_entries(app_configs: Iterable[AppConfig]) -> tuple[NavEntry, ...]:
    """The ``navigation.ENTRIES`` of each of ``app_configs``, in display order."""
    entries: list[NavEntry] = []
    for config in app_configs:
        if module_has_submodule(config.module, MODULE_NAME):
            module = import_module(f"{config.name}.{MODULE_NAME}")
            entries.extend(getattr(module, "ENTRIES", ()))
    orders: dict[str, int] = {}
    for entry in entries:
        order = orders.setdefault(entry.section.title, entry.section.order)
        if order != entry.section.order:
            raise ImproperlyConfigured(
                f"Navigation section {entry.section.title!r} is declared with two orders "
                f"({order} and {entry.section.order}): import one Section and share it."
            )
    entries.sort(key=lambda e: (e.section.order, e.section.title, e.order, e.label))
    return tuple(entries)


@cache
def declared_entries() -> tuple[NavEntry, ...]:
    """Every installed app's entries, collected once per process."""
    return collect_entries(apps.get_app_configs())


def navigation_for(
    tenant: Tenant | None,
    current_url_name: str | None,
    entries: Iterable[NavEntry] | None = None,
) -> list[NavSection]:
    """The sections and links ``tenant``'s role may use, in display order, of ``entries``
    (by default every installed app's)."""
    if tenant is None:
        return []
    sections: dict[str, list[NavItem]] = {}
    for entry in declared_entries() if entries is None else entries:
        if not tenant.can(entry.capability):
            continue
        url = reverse(entry.url_name, kwargs={"org_slug": tenant.organization.slug})
        active = current_url_name in (entry.url_name, *entry.also_active_on)
        sections.setdefault(entry.section.title, []).append(NavItem(entry.label, url, active))
    return [NavSection(title, items) for title, items in sections.items()]
