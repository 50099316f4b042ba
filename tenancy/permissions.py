"""Server-side role checks for the API."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from tenancy.roles import Capability


class HasTenantRole(permissions.BasePermission):
    """The caller resolved to a tenant and its role holds the view's capability.

    A view declares ``required_capability`` (for reads and writes alike) or
    ``capabilities_by_method`` (``{"GET": …, "POST": …}``).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        tenant = getattr(request._request, "tenant", None)
        if tenant is None:
            return False
        by_method: dict[str, Capability] = getattr(view, "capabilities_by_method", {})
        capability = by_method.get(request.method or "GET") or getattr(
            view, "required_capability", Capability.VIEW_ORGANIZATION
        )
        return tenant.can(capability)
