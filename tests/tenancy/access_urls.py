"""A URLconf for tests/tenancy/test_access.py: tiny views declared with the access kit, in
front of the project's own URLs (which the layout and the other pages still need)."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, include, path
from rest_framework.request import Request
from rest_framework.response import Response

from tenancy.access.api import TenantAPIView
from tenancy.access.pages import TenantRequest, tenant_page
from tenancy.models import Location
from tenancy.roles import Capability


@tenant_page(Capability.MANAGE_LOCATIONS, objects={"location_id": Location})
def location_name(request: TenantRequest, location: Location) -> HttpResponse:
    return HttpResponse(location.name)


@tenant_page(Capability.VIEW_ORGANIZATION)
def forgets_its_object(request: TenantRequest, location_id: int) -> HttpResponse:
    return HttpResponse(str(location_id))


@tenant_page(Capability.VIEW_AUDIT)
def reports(request: TenantRequest) -> HttpResponse:
    return HttpResponse("Reports")


class LocationNameView(TenantAPIView):
    capabilities_by_method = {"GET": Capability.MANAGE_LOCATIONS}
    url_objects = {"location_id": Location}
    location: Location

    def get(self, request: Request, location_id: int) -> Response:
        return Response({"name": self.location.name})


class ForgetfulView(TenantAPIView):
    def get(self, request: Request, location_id: int) -> Response:
        return Response({"id": location_id})


urlpatterns: list[URLPattern | URLResolver] = [
    path("o/<slug:org_slug>/kit/locations/<id:location_id>/", location_name, name="kit-location"),
    path(
        "o/<slug:org_slug>/kit/forgetful/<id:location_id>/",
        forgets_its_object,
        name="kit-forgetful",
    ),
    path("o/<slug:org_slug>/kit/reports/", reports, name="kit-reports"),
    path(
        "api/v1/kit/locations/<id:location_id>/",
        LocationNameView.as_view(),
        name="kit-api-location",
    ),
    path(
        "api/v1/kit/forgetful/<id:location_id>/", ForgetfulView.as_view(), name="kit-api-forgetful"
    ),
    path("", include("coverage_platform.urls")),
]
