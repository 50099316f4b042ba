"""The base of every DRF view under ``/api/v1/``.

``TenantMiddleware`` and ``ApiKeyAuthentication`` have resolved ``request.tenant``. A view
declares its capabilities and the objects its path names; ``TenantAPIView`` finds the
objects in the tenant (404) before the role is checked (403), and DRF answers a method the
view has no handler for with 405 (after ``required_capability``, the capability of every
method the view does not name)::

    class DraftView(TenantAPIView):
        capabilities_by_method = {"GET": VIEW_ROUTING, "PUT": MANAGE_ROUTING}
        url_objects = {"location_id": Location}
        location: Location  # set before the handler runs

A detail view over its own ``get_queryset`` may instead take DRF's ``pk`` and call
``get_object()``, which is looked up first in the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

from django.core.exceptions import ImproperlyConfigured
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tenancy.access.fields import json_type_errors
from tenancy.access.objects import ID_SUFFIX, ObjectSources, check_sources, find_objects
from tenancy.access.permissions import capability_for, tenant_of
from tenancy.resolution import Tenant
from tenancy.roles import AnyCapability, Capability, roles_with


class TenantAPIView(generics.GenericAPIView[Any]):
    # Base of the API views of every app. Comments rather than docstrings on the bases:
    # drf-spectacular publishes a view's (inherited) docstring as its operations'
    # description.

    capabilities_by_method: ClassVar[dict[str, AnyCapability]] = {}
    required_capability: ClassVar[AnyCapability] = Capability.VIEW_ORGANIZATION
    # URL parameter → where to find its object (tenancy.access.objects); each object is set
    # on the view under its name (location_id → self.location) before the role is checked.
    url_objects: ClassVar[ObjectSources] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        check_sources(cls.url_objects)
        # HEAD runs the GET handler, so it needs GET's capability (HasTenantRole would
        # otherwise fall back to required_capability and answer 200 where GET is a 403).
        if "GET" in cls.capabilities_by_method:
            cls.capabilities_by_method = {"HEAD": cls.capabilities_by_method["GET"]} | dict(
                cls.capabilities_by_method
            )

    @property
    def tenant(self) -> Tenant:
        tenant = tenant_of(self.request)
        if tenant is None:  # HasTenantRole refuses such requests before any handler runs.
            raise RuntimeError("API view reached without a resolved tenant.")
        return tenant

    def check_permissions(self, request: Request) -> None:
        # Objects first, role second: a foreign id is a 404 whatever the caller's role.
        # Without a tenant there is no scope to look in; HasTenantRole then answers 401/403.
        if tenant_of(request) is not None:
            undeclared = [
                k for k in self.kwargs if k.endswith(ID_SUFFIX) and k not in self.url_objects
            ]
            if undeclared:
                raise ImproperlyConfigured(
                    f"{type(self).__qualname__} must declare {undeclared} in url_objects."
                )
            for name, found in find_objects(self.url_objects, self.kwargs).items():
                setattr(self, name, found)
            if (self.lookup_url_kwarg or self.lookup_field) in self.kwargs:
                self.get_object()
        super().check_permissions(request)

    def options(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # The methods this path answers, in the Allow header, and no body. DRF's default
        # describes the serializer of a POST or PUT by calling handlers' helpers outside
        # the handler (a 500 on views that build their serializer inside it), and its
        # description is not part of the documented API.
        return Response(status=200)

    def get_object(self) -> Any:
        if not hasattr(self, "_object"):
            self._object = super().get_object()
        return self._object

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        tenant = tenant_of(request)
        if tenant is not None and message is None:
            roles = ", ".join(sorted(roles_with(capability_for(self, request.method))))
            message = f"Only these roles may do this: {roles}. This caller's role is {tenant.role}."
        super().permission_denied(request, message=message, code=code)

    def parse(
        self, serializer_class: type[serializers.Serializer[Any]], **kwargs: Any
    ) -> dict[str, Any]:
        """The body, validated by ``serializer_class`` (a 400 with its fields if invalid)."""
        serializer = serializer_class(
            data=self.request.data,
            context={"tenant": self.tenant, "request": self.request},
            **kwargs,
        )
        # JSON types first: DRF would coerce 0 to false and 5 to "5" (tenancy.access.fields).
        if isinstance(self.request.data, Mapping):
            wrong_types = json_type_errors(serializer, self.request.data)
            if wrong_types:
                raise serializers.ValidationError(wrong_types)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def filters(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        """The query-string filters, validated by ``serializer_class``."""
        # A plain dict, not the QueryDict: DRF reads a boolean missing from form-like input
        # as False, which would turn "no is_active filter" into "only inactive".
        serializer = serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
