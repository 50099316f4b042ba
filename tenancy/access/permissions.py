"""The API's permission: the caller's role holds the view's capability for the method
(``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]``).

A module of its own because DRF imports its default permission classes while
``rest_framework.views`` is still loading: this module must not import DRF's views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import permissions
from rest_framework.request import Request

from tenancy.roles import AnyCapability, Capability

if TYPE_CHECKING:
    # Only for annotations: resolution loads the models, which this module may precede.
    from tenancy.resolution import Tenant


def tenant_of(request: Request) -> Tenant | None:
    return getattr(request._request, "tenant", None)


def capability_for(view: Any, method: str | None) -> AnyCapability:
    """The capability ``view`` requires for ``method``: ``capabilities_by_method`` when it
    names the method, ``required_capability`` otherwise."""
    by_method: dict[str, AnyCapability] = getattr(view, "capabilities_by_method", {})
    default: AnyCapability = getattr(view, "required_capability", Capability.VIEW_ORGANIZATION)
    return by_method.get(method or "GET") or default


class HasTenantRole(permissions.BasePermission):
    """The caller resolved to a tenant and its role holds the view's capability for the
    request's method (``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        tenant = tenant_of(request)
        return tenant is not None and tenant.can(capability_for(view, request.method))
