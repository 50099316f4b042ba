"""Server-side role checks for the API."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
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
        if tenant.can(capability):
            return True
        _raise_not_found_for_missing_object(view)
        return False


def _raise_not_found_for_missing_object(view: Any) -> None:
    """A role without access gets 403 for its own organisation's objects, but another
    organisation's object (or a missing one) is a 404 for every role: the answer must not
    depend on whether the id exists elsewhere."""
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    kwargs = getattr(view, "kwargs", {})
    if lookup is None or lookup not in kwargs or not hasattr(view, "get_queryset"):
        return
    field = getattr(view, "lookup_field", "pk")
    try:
        exists = view.get_queryset().filter(**{field: kwargs[lookup]}).exists()
    except (ValueError, TypeError):
        exists = False
    if not exists:
        raise exceptions.NotFound()
