"""The base of routing API views: objects first, role second; ids in paths."""

from __future__ import annotations

from typing import Any, ClassVar

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter
from rest_framework import generics, serializers
from rest_framework.request import Request

from routing.models import RoutingVersion
from tenancy.models import Location, Membership
from tenancy.resolution import Tenant
from tenancy.roles import Capability

VIEW = Capability.VIEW_ROUTING

MANAGE = Capability.MANAGE_ROUTING

PRESENCE = Capability.SET_OWN_PRESENCE


def _id_parameter(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1},
        OpenApiParameter.PATH,
        description=f"The {what}'s id.",
    )


LOCATION_ID = _id_parameter("location_id", "location")

VERSION_ID = _id_parameter("version_id", "routing version")

MEMBERSHIP_ID = _id_parameter("membership_id", "member")


class RoutingAPIView(generics.GenericAPIView[Any]):
    # Base of routing API views (a comment, not a docstring: drf-spectacular publishes
    # docstrings as operation descriptions).

    capabilities_by_method: ClassVar[dict[str, Capability]] = {}
    required_capability: ClassVar[Capability] = VIEW

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "GET" in cls.capabilities_by_method:
            cls.capabilities_by_method = {"HEAD": cls.capabilities_by_method["GET"]} | dict(
                cls.capabilities_by_method
            )

    @property
    def tenant(self) -> Tenant:
        tenant: Tenant | None = getattr(self.request._request, "tenant", None)
        if tenant is None:  # HasTenantRole refuses such requests before any handler runs.
            raise RuntimeError("API view reached without a resolved tenant.")
        return tenant

    def check_permissions(self, request: Request) -> None:
        # Objects first, role second: a foreign id is a 404 whatever the caller's role.
        if getattr(request._request, "tenant", None) is not None:
            if "location_id" in self.kwargs:
                self.location = get_object_or_404(
                    Location.objects.all(), pk=self.kwargs["location_id"]
                )
            if "version_id" in self.kwargs:
                self.version = get_object_or_404(
                    RoutingVersion.objects.all(), pk=self.kwargs["version_id"]
                )
            if "membership_id" in self.kwargs:
                self.membership = get_object_or_404(
                    Membership.objects.all(), pk=self.kwargs["membership_id"], is_active=True
                )
        super().check_permissions(request)

    def parse(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
