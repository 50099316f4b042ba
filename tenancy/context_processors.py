from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tenancy.navigation import navigation_for
from tenancy.resolution import member_organizations


def tenant(request: HttpRequest) -> dict[str, Any]:
    """The resolved tenant (organisation, role), its navigation, and the organisations the
    user may switch to, for the layout."""
    resolved = getattr(request, "tenant", None)
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    return {
        "tenant": resolved,
        "nav": navigation_for(resolved, match.url_name if match else None),
        # Lazy: only pages that render the switcher pay for the cross-tenant lookup.
        "organizations": SimpleLazyObject(
            lambda: member_organizations(user) if user is not None else []
        ),
    }
